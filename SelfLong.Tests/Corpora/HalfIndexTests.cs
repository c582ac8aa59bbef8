using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

/// <summary>
/// Up to 2,000 dimensions the HNSW index holds the vectors cast to halfvec and searches re-rank its
/// candidates by exact cosine on the stored vector; an index of full vectors built before is kept
/// and searched as it is (VectorLayout.HalfIndex, recorded on the corpus row).
/// </summary>
[NeedsDatabase]
public sealed class HalfIndexTests
{
    private const string Query = "tariffs on steel imports";

    [Fact]
    public async Task Ingestion_IndexesHalfvecCasts_SearchesWalkItAndRankByExactCosine()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var corpus = await LargeEmbeddingTests.HandmadeCorpusAsync(harness, 256);
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);

        var layout = (await VectorLayout.ReadAsync(connection, corpus, ct))!;
        var vector = await harness.Retriever.VectorAsync(corpus, Query, 6, ct);

        Assert.True(layout.IndexesHalfCast);
        Assert.Contains("::vector(256))::halfvec(256)) halfvec_cosine_ops", await DefinitionAsync(connection, corpus, ct));
        Assert.Contains(ChunkVectorIndex.NameFor(corpus), await ServedPlanAsync(connection, corpus, layout, ct));
        await AssertExactRankingAsync(connection, corpus, vector, ct);
    }

    [Fact]
    public async Task Ensure_IndexOfFullVectorsFromBefore_IsKept_RecordedAndSearchedAsItIs()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var corpus = await LargeEmbeddingTests.HandmadeCorpusAsync(harness, 256);
        // The retriever caches the corpus as it stands now (a halfvec index); it must notice the change.
        Assert.Equal("Tariffs", (await harness.Retriever.VectorAsync(corpus, Query, 3, ct))[0].DocumentTitle);
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        var name = ChunkVectorIndex.NameFor(corpus);
        await ExecuteAsync(connection, $"DROP INDEX {name}", ct);
        await ExecuteAsync(connection, $"CREATE INDEX {name} ON {ChunkPartitions.NameFor(corpus)} USING hnsw ((embedding::vector(256)) vector_cosine_ops) WHERE corpus_id = {corpus}", ct);

        var kept = await ChunkVectorIndex.EnsureAsync(connection, corpus, 256, ChunkVectorIndex.Build.Default, ct);
        var vector = await harness.Retriever.VectorAsync(corpus, Query, 6, ct);

        Assert.False(kept.IndexesHalfCast);
        Assert.Equal(kept, await VectorLayout.ReadAsync(connection, corpus, ct));
        Assert.Contains("(embedding)::vector(256)) vector_cosine_ops", await DefinitionAsync(connection, corpus, ct));
        Assert.Contains(name, await ServedPlanAsync(connection, corpus, kept, ct));
        await AssertExactRankingAsync(connection, corpus, vector, ct);
    }

    [Fact]
    public async Task NewCorpus_BeforeItsFirstLoad_SaysItsIndexWillHoldHalfvecCasts()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var corpus = await harness.CreateCorpusAsync();

        var summary = await harness.Corpora.GetAsync(corpus, ct);
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);

        Assert.True(summary!.VectorIndexHalf);
        Assert.True((await VectorLayout.ReadAsync(connection, corpus, ct))!.IndexesHalfCast);
    }

    private static async Task<string> DefinitionAsync(NpgsqlConnection connection, long corpus, CancellationToken ct)
    {
        await using var find = new NpgsqlCommand($"SELECT indexdef FROM pg_indexes WHERE indexname = '{ChunkVectorIndex.NameFor(corpus)}'", connection);
        return (string)(await find.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The plan of the vector list searches run, with scans and sorts priced out so it shows whether the index can answer it.</summary>
    private static async Task<string> ServedPlanAsync(NpgsqlConnection connection, long corpus, VectorLayout layout, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var off = new NpgsqlCommand("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off", connection, transaction))
            await off.ExecuteNonQueryAsync(ct);
        await using var explain = new NpgsqlCommand("EXPLAIN " + RetrievalSql.VectorOnly(corpus, RetrievalSql.VectorList(corpus, layout, hasVector: true, depth: 6, candidates: 12)), connection, transaction);
        explain.Parameters.AddWithValue("q", layout.Parameter(new LexicalEmbedder(256).Embed(Query)));
        var lines = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) lines.Add(reader.GetString(0));
        return string.Join("\n", lines);
    }

    /// <summary>The search returned every chunk by exact cosine to the query, nearest first, with its exact score.</summary>
    private static async Task AssertExactRankingAsync(NpgsqlConnection connection, long corpus, IReadOnlyList<RetrievedChunk> found, CancellationToken ct)
    {
        var exact = await ExactAsync(connection, corpus, ct);
        Assert.Equal(exact.Select(e => e.Id), found.Select(c => c.ChunkId));
        Assert.Equal(exact.Select(e => e.Score), found.Select(c => c.Score));
    }

    private static async Task<List<(long Id, double Score)>> ExactAsync(NpgsqlConnection connection, long corpus, CancellationToken ct)
    {
        await using var exact = new NpgsqlCommand(
            $"SELECT id, 1 - ((embedding::vector(256)) <=> @q) FROM chunks WHERE corpus_id = {corpus} ORDER BY (embedding::vector(256)) <=> @q, id OFFSET 0",
            connection);
        exact.Parameters.AddWithValue("q", new Pgvector.Vector(new LexicalEmbedder(256).Embed(Query)));
        var rows = new List<(long, double)>();
        await using var reader = await exact.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add((reader.GetInt64(0), reader.GetDouble(1)));
        return rows;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
