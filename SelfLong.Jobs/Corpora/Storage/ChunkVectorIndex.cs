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

    /// <summary>Creates the index for the corpus's dimension, replacing one made for another dimension.</summary>
    public static async Task EnsureAsync(NpgsqlConnection connection, long corpusId, int dimension, CancellationToken ct)
    {
        var name = NameFor(corpusId);
        var layout = new VectorLayout(dimension);
        await using (var find = new NpgsqlCommand("SELECT indexdef FROM pg_indexes WHERE indexname = @name", connection))
        {
            find.Parameters.AddWithValue("name", name);
            if (await find.ExecuteScalarAsync(ct) is string definition)
            {
                if (definition.Contains(ExpectedDefinition(layout))) return;
                await ExecuteAsync(connection, $"DROP INDEX IF EXISTS {name}", ct);
            }
        }
        await ExecuteAsync(connection, "SET maintenance_work_mem = '512MB'", ct);
        await ExecuteAsync(connection,
            $"CREATE INDEX IF NOT EXISTS {name} ON chunks USING hnsw ({layout.IndexExpression} {layout.OperatorClass}) WHERE corpus_id = {corpusId}", ct);
        await ExecuteAsync(connection, "RESET maintenance_work_mem", ct);
    }

    /// <summary>The part of pg_indexes.indexdef that tells the index's kind and dimension apart.</summary>
    private static string ExpectedDefinition(VectorLayout layout) => layout.Kind switch
    {
        VectorIndexKind.BinaryQuantized => $"bit({layout.Dimension})) bit_hamming_ops",
        _ => $"{layout.TypeName}({layout.Dimension})) {layout.OperatorClass}",
    };

    public static Task DropAsync(NpgsqlConnection connection, long corpusId, CancellationToken ct) =>
        ExecuteAsync(connection, $"DROP INDEX IF EXISTS {NameFor(corpusId)}", ct);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }
}
