using Npgsql;

namespace SelfLong.Jobs.Corpora.Storage;

/// <summary>
/// The HNSW index over chunk embeddings. Corpora differ in dimension, and an untyped column cannot
/// carry an HNSW index, so each corpus gets its own partial expression index, of the kind its
/// dimension calls for (<see cref="VectorLayout"/>), e.g.
/// <c>USING hnsw ((embedding::vector(N)) vector_cosine_ops) WHERE corpus_id = id</c>.
/// Per corpus rather than per dimension because a search is always within one corpus: the index
/// then holds exactly the rows a query filters to, so HNSW never returns neighbours from another
/// corpus that the filter would drop (which costs recall). Padding every vector to a fixed maximum
/// would also work but multiplies storage and distance cost for small embedders. The index is built
/// after a corpus's first bulk load (faster than growing it row by row) and rebuilt on re-embedding;
/// queries must repeat the expression and the predicate literally (see the retriever).
/// </summary>
public static class ChunkVectorIndex
{
    public static string NameFor(long corpusId) => $"ix_chunks_embedding_hnsw_corpus_{corpusId}";

    /// <summary>
    /// Creates the index for the corpus's dimension, replacing one made for another dimension or
    /// one left invalid by a build that was interrupted.
    /// </summary>
    /// <remarks>
    /// Built CONCURRENTLY: a plain CREATE INDEX holds a SHARE lock on all of chunks for the whole
    /// build (minutes for a large corpus), and every other corpus's ingestion or re-embedding waits
    /// behind it; the concurrent build takes a lock writers do not conflict with. It cannot run in
    /// a transaction, so the connection must not be in one.
    /// </remarks>
    public static async Task EnsureAsync(NpgsqlConnection connection, long corpusId, int dimension, CancellationToken ct)
    {
        var name = NameFor(corpusId);
        var layout = new VectorLayout(dimension);
        await using (var find = new NpgsqlCommand(
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = @name",
            connection))
        {
            find.Parameters.AddWithValue("name", name);
            bool? valid = null;
            var definition = "";
            await using (var reader = await find.ExecuteReaderAsync(ct))
                if (await reader.ReadAsync(ct)) (valid, definition) = (reader.GetBoolean(0), reader.GetString(1));
            if (valid is true && definition.Contains(ExpectedDefinition(layout))) return;
            if (valid is not null) await DropAsync(connection, corpusId, ct);
        }
        await ExecuteAsync(connection, "SET maintenance_work_mem = '512MB'", ct);
        try
        {
            await ExecuteAsync(connection,
                $"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON chunks USING hnsw ({layout.IndexExpression} {layout.OperatorClass}) WHERE corpus_id = {corpusId}", ct);
        }
        finally
        {
            await ExecuteAsync(connection, "RESET maintenance_work_mem", CancellationToken.None);
        }
    }

    /// <summary>The part of pg_indexes.indexdef that tells the index's kind and dimension apart.</summary>
    private static string ExpectedDefinition(VectorLayout layout) => layout.Kind switch
    {
        VectorIndexKind.BinaryQuantized => $"bit({layout.Dimension})) bit_hamming_ops",
        _ => $"{layout.TypeName}({layout.Dimension})) {layout.OperatorClass}",
    };

    /// <summary>
    /// Drops the corpus's index CONCURRENTLY: a plain DROP INDEX takes an ACCESS EXCLUSIVE lock on
    /// chunks, and while it waits for a running search or write, every later query on any corpus
    /// queues behind it.
    /// </summary>
    public static Task DropAsync(NpgsqlConnection connection, long corpusId, CancellationToken ct) =>
        ExecuteAsync(connection, $"DROP INDEX CONCURRENTLY IF EXISTS {NameFor(corpusId)}", ct);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }
}
