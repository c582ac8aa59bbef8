using Npgsql;

namespace SelfLong.Jobs.Corpora.Storage;

/// <summary>
/// The HNSW index over chunk embeddings. Corpora differ in dimension, and an untyped column cannot
/// carry an HNSW index, so each corpus gets its own partial expression index, of the kind its
/// dimension calls for (<see cref="VectorLayout"/>), e.g.
/// <c>USING hnsw (((embedding::vector(N))::halfvec(N)) halfvec_cosine_ops) WHERE corpus_id = id</c>.
/// Per corpus rather than per dimension because a search is always within one corpus: the index
/// then holds exactly the rows a query filters to, so HNSW never returns neighbours from another
/// corpus that the filter would drop (which costs recall). Padding every vector to a fixed maximum
/// would also work but multiplies storage and distance cost for small embedders. The index is built
/// after a corpus's first bulk load (faster than growing it row by row) and rebuilt on re-embedding;
/// queries must repeat the expression and the predicate literally (see the retriever).
/// </summary>
public static class ChunkVectorIndex
{
    /// <summary>What every corpus's index name starts with, its id following (OrphanedCorpusIndexes finds them by it).</summary>
    public const string NamePrefix = "ix_chunks_embedding_hnsw_corpus_";

    public static string NameFor(long corpusId) => $"{NamePrefix}{corpusId}";

    /// <summary>
    /// How the HNSW graph is built: pgvector's m and ef_construction, and the memory the build may
    /// hold (maintenance_work_mem). A graph that outgrows that memory is finished by far slower
    /// inserts, so it should hold the corpus's vectors and links (about 1.5 KB a chunk at 256
    /// dimensions and m 32).
    /// </summary>
    /// <remarks>
    /// A corpus of fewer than <paramref name="FromChunks"/> chunks gets pgvector's own defaults (m 16,
    /// ef_construction 64) instead: the denser graph would triple or quadruple its build, which is
    /// most of an upload's ingestion time after the COPY, for no faster search. Measured on chunks
    /// of 256 tokens: at 20,000 the small graph reaches recall@10 0.95 at ef_search 640 and searches
    /// as fast as the denser one at 200 (7.4 against 7.1 ms); at 45,000 it needs 1,000 and takes 18.9
    /// ms, against 6.9 ms at 200 on the denser graph (built in 40 s instead of 14).
    /// </remarks>
    public sealed record Build(int M = 32, int EfConstruction = 128, int MemoryMb = 2048, long FromChunks = 30_000)
    {
        public static readonly Build Default = new();

        public (int M, int EfConstruction) For(long chunks) => chunks >= FromChunks ? (M, EfConstruction) : (16, 64);

        /// <summary>
        /// The build's memory for a graph of <paramref name="chunks"/> elements: each holds its
        /// vector and up to 2m neighbours at the bottom layer (16 bytes each), with a quarter to
        /// spare; at least 64 MB and at most <see cref="MemoryMb"/>. Not simply the most: a
        /// parallel build maps all of it up front, which added 0.6 s to a 1.9 s build of 9,521
        /// chunks (2 GB against 64 MB, measured).
        /// </summary>
        public int MemoryMbFor(long chunks, VectorLayout layout)
        {
            var (m, _) = For(chunks);
            var element = layout.IndexedBytes + 2 * m * 16 + 128;
            var mb = Math.Ceiling(chunks * element * 1.25 / (1 << 20));
            return (int)Math.Clamp(mb, 64, Math.Max(64, MemoryMb));
        }
    }

    /// <summary>
    /// Creates the index for the corpus's dimension, replacing one made for another dimension or
    /// one left invalid by a build that was interrupted, and records on the corpus row which kind
    /// it has (<see cref="VectorLayout.HalfIndex"/>); returns the layout searches must use. A valid
    /// index of full vectors, built before halfvec indexes, is kept: rebuilding a large corpus's
    /// graph takes as long as its first build (half an hour at a million chunks here), and
    /// re-embedding the corpus replaces it.
    /// </summary>
    /// <remarks>
    /// Built on the corpus's partition (<see cref="ChunkPartitions"/>). In its own partition, with a
    /// plain CREATE INDEX: it reads the corpus's rows once, and its lock holds back writes to that
    /// corpus only, never searches. In the partition shared by corpora from before partitions,
    /// CONCURRENTLY: a plain build would hold their writes back for the whole build (minutes for a
    /// large corpus), and the concurrent build takes a lock writers do not conflict with. It cannot
    /// run in a transaction, so the connection must not be in one.
    /// </remarks>
    public static async Task<VectorLayout> EnsureAsync(NpgsqlConnection connection, long corpusId, int dimension, Build build, CancellationToken ct)
    {
        await using var turn = await TurnAsync(connection, ct);
        var pending = await PrepareAsync(connection, corpusId, dimension, build, ct);
        return pending.Ready ?? await pending.BuildAsync!(connection, ct);
    }

    /// <summary>
    /// What <see cref="PrepareAsync"/> found: the layout of an index kept as it is (Ready), or the
    /// build still to run, on any connection while the caller holds the turn.
    /// </summary>
    internal sealed record Pending(VectorLayout? Ready, Func<NpgsqlConnection, CancellationToken, Task<VectorLayout>>? BuildAsync);

    /// <summary>
    /// <see cref="EnsureAsync"/> up to the build, in the turn the caller holds on
    /// <paramref name="connection"/>: keeps a current index (recording its layout), drops one made
    /// for another dimension or left invalid, and returns the build still to run.
    /// </summary>
    internal static async Task<Pending> PrepareAsync(NpgsqlConnection connection, long corpusId, int dimension, Build build, CancellationToken ct)
    {
        var layout = new VectorLayout(dimension, HalfIndex: true);
        var fullVectors = layout with { HalfIndex = false };
        var (valid, definition) = await FindAsync(connection, NameFor(corpusId), ct);
        if (valid is true && definition.Contains(ExpectedDefinition(layout))) return new(await RecordAsync(connection, corpusId, layout, ct), null);
        if (valid is true && layout.IndexesHalfCast && definition.Contains(ExpectedDefinition(fullVectors)))
            return new(await RecordAsync(connection, corpusId, fullVectors, ct), null);
        if (valid is not null) await DropAsync(connection, corpusId, ct);
        return new(null, (on, token) => CreateAsync(on, corpusId, layout, build, token));
    }

    private static async Task<VectorLayout> CreateAsync(NpgsqlConnection connection, long corpusId, VectorLayout layout, Build build, CancellationToken ct)
    {
        var name = NameFor(corpusId);
        long chunks;
        await using (var count = new NpgsqlCommand($"SELECT count(*) FROM chunks WHERE corpus_id = {corpusId}", connection) { CommandTimeout = 0 })
            chunks = (long)(await count.ExecuteScalarAsync(ct))!;
        var (m, efConstruction) = build.For(chunks);
        var (table, own) = await ChunkPartitions.FindAsync(connection, corpusId, ct);
        await ExecuteAsync(connection, $"SET maintenance_work_mem = '{build.MemoryMbFor(chunks, layout)}MB'", ct);
        try
        {
            // The predicate stays in its own partition too: searches filter on it, and so find the index the same way in both.
            await ExecuteAsync(connection,
                $"CREATE INDEX {(own ? "" : "CONCURRENTLY ")}IF NOT EXISTS {name} ON {table} USING hnsw ({layout.IndexExpression} {layout.OperatorClass}) " +
                $"WITH (m = {m}, ef_construction = {efConstruction}) WHERE corpus_id = {corpusId}", ct);
        }
        finally
        {
            await ExecuteAsync(connection, "RESET maintenance_work_mem", CancellationToken.None);
        }
        return await RecordAsync(connection, corpusId, layout, ct);
    }

    private static async Task<VectorLayout> RecordAsync(NpgsqlConnection connection, long corpusId, VectorLayout layout, CancellationToken ct)
    {
        await using var record = new NpgsqlCommand(
            "UPDATE corpora SET vector_index_half = @half WHERE id = @id AND vector_index_half IS DISTINCT FROM @half", connection);
        record.Parameters.AddWithValue("half", layout.IndexesHalfCast);
        record.Parameters.AddWithValue("id", corpusId);
        await record.ExecuteNonQueryAsync(ct);
        return layout;
    }

    /// <summary>The part of pg_indexes.indexdef that tells the index's kind and dimension apart.</summary>
    private static string ExpectedDefinition(VectorLayout layout) => layout.Kind switch
    {
        VectorIndexKind.BinaryQuantized => $"bit({layout.Dimension})) bit_hamming_ops",
        _ when layout.IndexesHalfCast => $"vector({layout.Dimension}))::halfvec({layout.Dimension})) halfvec_cosine_ops",
        _ => $"{layout.TypeName}({layout.Dimension})) {layout.OperatorClass}",
    };

    /// <summary>
    /// Drops the corpus's index CONCURRENTLY: a plain DROP INDEX takes an ACCESS EXCLUSIVE lock on
    /// chunks, and while it waits for a running search or write, every later query on any corpus
    /// queues behind it.
    /// </summary>
    public static Task DropAsync(NpgsqlConnection connection, long corpusId, CancellationToken ct) => DropIndexAsync(connection, NameFor(corpusId), ct);

    /// <summary>Drops an index on chunks CONCURRENTLY, in its turn (the per-corpus text index's too).</summary>
    internal static async Task DropIndexAsync(NpgsqlConnection connection, string name, CancellationToken ct)
    {
        await using var turn = await TurnAsync(connection, ct);
        await ExecuteAsync(connection, $"DROP INDEX CONCURRENTLY IF EXISTS {name}", ct);
    }

    /// <summary>Whether the index is there and valid (null: not there), with its definition.</summary>
    internal static async Task<(bool? Valid, string Definition)> FindAsync(NpgsqlConnection connection, string name, CancellationToken ct)
    {
        await using var find = new NpgsqlCommand(
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = @name",
            connection);
        find.Parameters.AddWithValue("name", name);
        await using var reader = await find.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetBoolean(0), reader.GetString(1)) : (null, "");
    }

    /// <summary>The advisory lock that gives index builds and drops on chunks their turns (any key no other part of SelfLong uses).</summary>
    private const long TurnKey = 0x5345_4C46_4C4E_4731;

    /// <summary>
    /// Waits for this connection's turn to build or drop an index on chunks, or to settle the table
    /// after a load (ChunkTableSettle), in every process.
    /// Two CONCURRENTLY builds or drops on one table deadlock: the second waits for the first's
    /// table lock while holding a snapshot, and the first, before it ends, waits for every older
    /// snapshot to go; PostgreSQL then aborts one of them (40P01), and with it an upload's
    /// ingestion. The turn is a session advisory lock taken by polling, so a connection waiting
    /// for it runs no statement, and holds no snapshot, that the running build would wait for.
    /// Re-entrant: a build that drops an outdated index first takes the turn twice.
    /// </summary>
    internal static async Task<IAsyncDisposable> TurnAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        while (true)
        {
            await using (var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection))
            {
                take.Parameters.AddWithValue("key", TurnKey);
                if (await take.ExecuteScalarAsync(ct) is true) return new Turn(connection);
            }
            await Task.Delay(TurnPoll, ct);
        }
    }

    private static readonly TimeSpan TurnPoll = TimeSpan.FromMilliseconds(200);

    private sealed class Turn(NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            // A connection that broke has lost its session, and the lock with it.
            if (connection.State != System.Data.ConnectionState.Open) return;
            await using var give = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            give.Parameters.AddWithValue("key", TurnKey);
            await give.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }
}
