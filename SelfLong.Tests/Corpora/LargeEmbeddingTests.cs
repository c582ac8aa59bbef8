using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Tests.Infrastructure;
using static SelfLong.Tests.Corpora.TestFiles;

namespace SelfLong.Tests.Corpora;

/// <summary>
/// Embeddings over pgvector's 2,000-dimension HNSW limit for <c>vector</c>: stored as halfvec,
/// indexed as halfvec up to 4,000 dimensions and by binary quantization (re-ranked exactly) above.
/// The lexical embedder stands in for a model of that size (E5-mistral's 4,096).
/// </summary>
[NeedsDatabase]
public sealed class LargeEmbeddingTests
{
    private static readonly (string Title, string Text)[] Handmade =
    [
        ("Whaling", "The harpooner stood in the bow of the whaleboat. Sperm whales surface to breathe and the crew rowed hard."),
        ("Tariffs", "Congress debated tariffs on imported steel. The tariff schedule protected domestic manufacturing."),
        ("Railroads", "The transcontinental railroad joined the coasts. Locomotives hauled freight across the plains."),
        ("Lighthouses", "A lighthouse keeper trimmed the lamp each night so ships avoided the rocky shoals."),
        ("Vaccines", "Vaccination campaigns reduced smallpox. Public health officials organized clinics in every county."),
        ("Whale oil", "Whale oil lit the lamps of the nineteenth century until kerosene replaced it."),
    ];

    [Theory]
    [InlineData(2000, VectorIndexKind.Vector)]
    [InlineData(2001, VectorIndexKind.HalfVector)]
    [InlineData(4000, VectorIndexKind.HalfVector)]
    [InlineData(4001, VectorIndexKind.BinaryQuantized)]
    [InlineData(4096, VectorIndexKind.BinaryQuantized)]
    public void Layout_Dimension_PicksTheIndexPgvectorAllows(int dimension, VectorIndexKind kind)
    {
        var layout = new VectorLayout(dimension);

        Assert.Equal(kind, layout.Kind);
        Assert.Equal(dimension > 2000 ? "embedding_half" : "embedding", layout.Column);
    }

    [Theory]
    [InlineData(3072, "halfvec_cosine_ops")]
    [InlineData(4096, "bit_hamming_ops")]
    public async Task Search_LargeDimension_StoredAsHalfvec_IndexUsed_RankedByExactDistance(int dimension, string operatorClass)
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var corpus = await HandmadeCorpusAsync(harness, dimension);
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);

        Assert.Equal([(6L, 0L, 6L)], await ReadAsync(connection,
            $"SELECT count(*), count(embedding), count(embedding_half) FROM chunks WHERE corpus_id = {corpus} AND dimension = {dimension}",
            r => (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)), ct));
        var definition = (await ReadAsync(connection, $"SELECT indexdef FROM pg_indexes WHERE indexname = '{ChunkVectorIndex.NameFor(corpus)}'", r => r.GetString(0), ct)).Single();
        Assert.Contains(operatorClass, definition);

        var layout = new VectorLayout(dimension);
        // With six rows a scan and sort is cheapest; turned off, the plan shows whether the index can answer this ORDER BY.
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off; SET enable_sort = off", connection)) await off.ExecuteNonQueryAsync(ct);
        var probe = $"(SELECT {layout.Column} FROM chunks WHERE corpus_id = {corpus} LIMIT 1)";
        var plan = string.Join("\n", await ReadAsync(connection,
            $"EXPLAIN SELECT id FROM chunks WHERE corpus_id = {corpus} ORDER BY {layout.IndexOrder(probe)} LIMIT 5", r => r.GetString(0), ct));
        Assert.Contains(ChunkVectorIndex.NameFor(corpus), plan);

        var vector = await harness.Retriever.VectorAsync(corpus, "tariffs on steel imports", 6, ct);
        var hybrid = await harness.Retriever.SearchAsync(corpus, "the lighthouse keeper and the lamp", 3, RetrievalMode.Hybrid, ct);

        Assert.Equal("Tariffs", vector[0].DocumentTitle);
        Assert.Equal("Lighthouses", hybrid[0].DocumentTitle);
        // Exact cosine order by a full scan of the stored halfvecs: what re-ranking must reproduce.
        var query = layout.Parameter(new SelfLong.Jobs.Corpora.Embeddings.LexicalEmbedder(dimension).Embed("tariffs on steel imports"));
        await using var exact = new NpgsqlCommand(
            $"SELECT id, 1 - ({layout.ExactDistance("@q")}) FROM chunks WHERE corpus_id = {corpus} AND embedding_half IS NOT NULL ORDER BY {layout.ExactDistance("@q")}, id",
            connection);
        exact.Parameters.AddWithValue("q", query);
        var expected = new List<(long, double)>();
        await using (var reader = await exact.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) expected.Add((reader.GetInt64(0), reader.GetDouble(1)));
        Assert.Equal(expected.Select(e => e.Item1), vector.Select(c => c.ChunkId));
        Assert.Equal(expected.Select(e => e.Item2), vector.Select(c => c.Score));
        // Tuned through this layout's own list: six chunks, each query's five others found at the first ef_search.
        Assert.Equal((40, 1.0, 6), await TunedAsync(harness, corpus, ct));
    }

    private static async Task<(int?, double?, int?)> TunedAsync(CorporaHarness harness, long corpus, CancellationToken ct)
    {
        await using var db = harness.Database.CreateDbContext();
        var row = await db.Corpora.AsNoTracking().SingleAsync(c => c.Id == corpus, ct);
        return (row.HnswEfSearch, row.HnswRecallAt10, row.HnswTuneQueries);
    }

    [Fact]
    public async Task Reembed_ToBinaryQuantizedAndBack_MovesVectorsAndSearchFollows()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var corpus = await HandmadeCorpusAsync(harness, 256);
        Assert.Equal("Tariffs", (await harness.Retriever.VectorAsync(corpus, "tariffs on steel imports", 3, ct))[0].DocumentTitle);

        // The retriever has the corpus's 256-dimension settings cached; its next query must notice the change.
        await using (var db = harness.Database.CreateDbContext())
            await db.Corpora.Where(c => c.Id == corpus).ExecuteUpdateAsync(s => s.SetProperty(c => c.HnswEfSearch, 999), ct);
        await harness.Reembedder.RunAsync(corpus, EmbedderKind.Lexical, null, null, null, 4096, ct);
        var tunedUp = await TunedAsync(harness, corpus, ct);
        var afterUp = await harness.Retriever.VectorAsync(corpus, "tariffs on steel imports", 3, ct);
        var columnsUp = await ColumnsAsync(harness, corpus, ct);
        await harness.Reembedder.RunAsync(corpus, EmbedderKind.Lexical, null, null, null, 256, ct);
        var afterDown = await harness.Retriever.VectorAsync(corpus, "tariffs on steel imports", 3, ct);

        Assert.Equal("Tariffs", afterUp[0].DocumentTitle);
        Assert.Equal((0L, 6L), columnsUp);
        Assert.Equal((40, 1.0, 6), tunedUp);
        Assert.Equal("Tariffs", afterDown[0].DocumentTitle);
        Assert.Equal((6L, 0L), await ColumnsAsync(harness, corpus, ct));
    }

    [Theory]
    [InlineData(16001)]
    [InlineData(15)]
    public void Settings_DimensionOutsideWhatCanBeStored_Refused(int dimension)
    {
        var errors = new CorpusSettings { Name = "c", EmbeddingDimension = dimension }.Validate();

        Assert.Contains("16000", Assert.Single(errors[nameof(CorpusSettings.EmbeddingDimension)]));
    }

    internal static async Task<long> HandmadeCorpusAsync(CorporaHarness harness, int dimension)
    {
        var corpus = await harness.CreateCorpusAsync(new CorpusSettings { Name = $"c-{Guid.NewGuid():N}", EmbeddingDimension = dimension });
        var lines = string.Join("\n", Handmade.Select(d => System.Text.Json.JsonSerializer.Serialize(new { title = d.Title, text = d.Text })));
        var run = await harness.IngestAsync(corpus, ("handmade.jsonl", Utf8(lines)));
        Assert.Equal(SelfLong.Data.Runs.RunStatus.Succeeded, run.Status);
        return corpus;
    }

    private static async Task<(long Vector, long Half)> ColumnsAsync(CorporaHarness harness, long corpus, CancellationToken ct)
    {
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        return (await ReadAsync(connection, $"SELECT count(embedding), count(embedding_half) FROM chunks WHERE corpus_id = {corpus}",
            r => (r.GetInt64(0), r.GetInt64(1)), ct)).Single();
    }

    private static async Task<List<T>> ReadAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(read(reader));
        return rows;
    }
}
