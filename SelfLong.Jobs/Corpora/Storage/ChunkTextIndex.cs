using Npgsql;

namespace SelfLong.Jobs.Corpora.Storage;

/// <summary>
/// Each corpus's own full-text index: <c>USING gin (search_vector) WHERE corpus_id = id</c>. With one
/// GIN index over every corpus, a full-text list reads the posting lists of all of them, and the
/// planner ANDs the match with a bitmap of every row of the corpus read from (corpus_id, id): the
/// 126K-chunk corpus's full-text list took 15.6 / 35.5 ms (p50 / p95) beside a million-chunk corpus
/// of the same vocabulary, 1.0 / 2.2 ms on its own index (`bench corpus --corpus`, measured).
/// Built like the HNSW index (ChunkVectorIndex): after a corpus's first bulk load, on its partition,
/// in the same turn across processes. Later loads add to it through GIN's pending list, which
/// <see cref="EnsureAsync"/> then merges, so searches do not read through it.
/// </summary>
public static class ChunkTextIndex
{
    /// <summary>What every corpus's index name starts with, its id following (OrphanedCorpusIndexes finds them by it).</summary>
    public const string NamePrefix = "ix_chunks_search_corpus_";

    public static string NameFor(long corpusId) => $"{NamePrefix}{corpusId}";

    /// <summary>Memory the build may hold: GIN sorts a corpus's lexemes in it before writing them.</summary>
    private const int BuildMemoryMb = 256;

    /// <summary>Creates the corpus's index, replacing one an interrupted build left invalid, or merges the pending list of the one it has.</summary>
    public static async Task EnsureAsync(NpgsqlConnection connection, long corpusId, CancellationToken ct)
    {
        await using var turn = await ChunkVectorIndex.TurnAsync(connection, ct);
        if (await PrepareAsync(connection, corpusId, ct) is { } build) await build(connection, ct);
    }

    /// <summary>
    /// <see cref="EnsureAsync"/> up to the build, in the turn the caller holds on
    /// <paramref name="connection"/>: merges a valid index's pending list (null: nothing left to
    /// do), or drops an invalid one and returns the build, to run on any connection in that turn.
    /// </summary>
    internal static async Task<Func<NpgsqlConnection, CancellationToken, Task>?> PrepareAsync(NpgsqlConnection connection, long corpusId, CancellationToken ct)
    {
        var name = NameFor(corpusId);
        var (valid, _) = await ChunkVectorIndex.FindAsync(connection, name, ct);
        if (valid is true)
        {
            await ChunkVectorIndex.ExecuteAsync(connection, $"SELECT gin_clean_pending_list('{name}'::regclass)", ct);
            return null;
        }
        if (valid is false) await ChunkVectorIndex.DropIndexAsync(connection, name, ct);
        return (on, token) => CreateAsync(on, corpusId, token);
    }

    private static async Task CreateAsync(NpgsqlConnection connection, long corpusId, CancellationToken ct)
    {
        // On the corpus's partition, plainly in its own, like the HNSW index (ChunkVectorIndex.EnsureAsync says why).
        var (table, own) = await ChunkPartitions.FindAsync(connection, corpusId, ct);
        await ChunkVectorIndex.ExecuteAsync(connection, $"SET maintenance_work_mem = '{BuildMemoryMb}MB'", ct);
        try
        {
            await ChunkVectorIndex.ExecuteAsync(connection,
                $"CREATE INDEX {(own ? "" : "CONCURRENTLY ")}IF NOT EXISTS {NameFor(corpusId)} ON {table} USING gin (search_vector) WHERE corpus_id = {corpusId}", ct);
        }
        finally
        {
            await ChunkVectorIndex.ExecuteAsync(connection, "RESET maintenance_work_mem", CancellationToken.None);
        }
    }

    public static Task DropAsync(NpgsqlConnection connection, long corpusId, CancellationToken ct) =>
        ChunkVectorIndex.DropIndexAsync(connection, NameFor(corpusId), ct);
}
