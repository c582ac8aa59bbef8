using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Tests.Infrastructure;
using static SelfLong.Tests.Corpora.TestFiles;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
public sealed class EfSearchTuningTests
{
    /// <summary>
    /// Chunks of twelve words drawn from a few hundred: one chunk each, vectors spread out enough
    /// that an HNSW graph has to be searched rather than read whole.
    /// </summary>
    private static async Task<long> RandomWordsCorpusAsync(CorporaHarness harness, int chunks, int dimension = 256, int seed = 3)
    {
        var corpus = await harness.CreateCorpusAsync(new CorpusSettings
        {
            Name = $"words-{Guid.NewGuid():N}", ChunkTokens = 64, ChunkOverlapTokens = 0, EmbeddingDimension = dimension,
        });
        var random = new Random(seed);
        var lines = Enumerable.Range(0, chunks).Select(i => System.Text.Json.JsonSerializer.Serialize(new
        {
            title = $"r{i}",
            text = string.Join(' ', Enumerable.Range(0, 12).Select(_ => $"term{random.Next(400)}")) + ".",
        }));
        await harness.IngestAsync(corpus, ("words.jsonl", Utf8(string.Join("\n", lines))));
        return corpus;
    }

    /// <summary>An HNSW graph of pgvector's least links and build effort: far from exact at a small ef_search.</summary>
    private static void SparseGraph(CorporaOptions o) => (o.HnswM, o.HnswEfConstruction, o.HnswFromChunks) = (2, 4, 0);

    private static async Task<SelfLong.Data.Corpora.Corpus> RowAsync(CorporaHarness harness, long corpus)
    {
        await using var db = harness.Database.CreateDbContext();
        return await db.Corpora.AsNoTracking().SingleAsync(c => c.Id == corpus, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Ingestion_StoresTheSmallestEfSearchOfTheLadderReachingTheTarget_OnQueriesFromItsChunks()
    {
        await using var harness = await CorporaHarness.CreateAsync(SparseGraph);
        var corpus = await RandomWordsCorpusAsync(harness, 3000);

        var row = await RowAsync(harness, corpus);
        var again = await HnswEfSearchTuner.TuneAsync(harness.Database.DataSource, corpus, new LexicalEmbedder(256), 32, 0.95, HnswEfSearchTuner.Ladder, harness.Options,
            TestContext.Current.CancellationToken);

        Assert.Equal(32, row.HnswTuneQueries);
        Assert.Contains(row.HnswEfSearch!.Value, HnswEfSearchTuner.Ladder);
        Assert.InRange(row.HnswRecallAt10!.Value, 0.95, 1.0);
        // The same sample measured again gives the same choice, and every smaller rung fell short.
        Assert.True(again!.Reached);
        Assert.Equal(row.HnswEfSearch, again.EfSearch);
        Assert.Equal(row.HnswRecallAt10!.Value, again.RecallAt10, 9);
        Assert.All(again.RecallByEfSearch.Where(r => r.Key < again.EfSearch), r => Assert.True(r.Value < 0.95, $"ef_search {r.Key}: {r.Value}"));
        // The sparse graph needs more than the first rung: the choice was measured, not the floor.
        Assert.True(row.HnswEfSearch > HnswEfSearchTuner.Ladder[0], $"chosen {row.HnswEfSearch}");
    }

    [Theory]
    [InlineData(256)]
    [InlineData(3000)]
    public async Task ExactSide_EqualsPgvectorsExactSearch_ForEveryQueryAtOnce(int dimension)
    {
        await using var harness = await CorporaHarness.CreateAsync(SparseGraph);
        var ct = TestContext.Current.CancellationToken;
        var corpus = await RandomWordsCorpusAsync(harness, 1500, dimension);
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        var layout = (await VectorLayout.ReadAsync(connection, corpus, ct))!;
        var embedder = new LexicalEmbedder(dimension);
        var queries = Enumerable.Range(0, 9).Select(i => embedder.Embed($"term{i * 7} term{i * 11 % 400} term{i * 13 % 400}")).ToList();

        var exact = await ExactNearest.DistancesAsync(harness.Database.DataSource, corpus, layout, [.. queries, new float[dimension]], 11, ct);

        Assert.Empty(exact[^1]);

        // pgvector's own distances over every chunk: index scans off, so nothing is approximated.
        await using (var off = new NpgsqlCommand("SET enable_indexscan = off; SET enable_bitmapscan = off", connection)) await off.ExecuteNonQueryAsync(ct);
        for (var q = 0; q < queries.Count; q++)
        {
            var expected = new List<double>();
            await using var command = new NpgsqlCommand(
                $"SELECT {layout.ExactDistance("@q")} AS distance FROM chunks WHERE {RetrievalSql.VectorFilter(corpus, layout)} ORDER BY distance LIMIT 11",
                connection);
            command.Parameters.AddWithValue("q", layout.Parameter(queries[q]));
            await using (var reader = await command.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) expected.Add(reader.GetDouble(0));
            Assert.Equal(11, expected.Count);
            Assert.Equal(expected, exact[q], (a, b) => Math.Abs(a - b) < 1e-6);
        }
    }

    [Fact]
    public async Task Retriever_SearchesWithTheStoredEfSearch_AndNoticesWhenItChanges()
    {
        await using var harness = await CorporaHarness.CreateAsync(SparseGraph);
        var ct = TestContext.Current.CancellationToken;
        var corpus = await RandomWordsCorpusAsync(harness, 3000);
        await WalkTheIndexAsync(harness, ct);
        var queries = Enumerable.Range(0, 20).Select(i => $"term{i * 7} term{i * 11 % 400} term{i * 13 % 400} term{i * 17 % 400}").ToList();
        var exact = new List<List<RetrievedChunk>>();
        foreach (var q in queries) exact.Add([.. await harness.Retriever.VectorAsync(corpus, q, 10, ct, efSearch: 1000)]);

        await StoreEfSearchAsync(harness, corpus, 1, ct);
        var low = await OverlapAsync(harness, corpus, queries, exact, ct);
        // Changed behind the retriever's back (as another process's ingestion would): its cached corpus is stale.
        await StoreEfSearchAsync(harness, corpus, 1000, ct);
        var high = await OverlapAsync(harness, corpus, queries, exact, ct);
        await StoreEfSearchAsync(harness, corpus, 1, ct);
        var lowAgain = await OverlapAsync(harness, corpus, queries, exact, ct);

        Assert.Equal(1.0, high);
        Assert.True(low < 0.9, $"overlap at the stored ef_search 1 (searched at 20): {low}");
        Assert.Equal(low, lowAgain);
    }

    [Fact]
    public async Task Ingestion_TargetOutOfReach_KeepsTheLargestEfSearchAllowedAndTheRecallItReached()
    {
        // The sparse graph falls short of recall 1 at small ef_search (it needed 400 when measured).
        await using var harness = await CorporaHarness.CreateAsync(o => { SparseGraph(o); (o.HnswTuneTargetRecall, o.HnswTuneMaxEfSearch) = (1.0, 80); });
        var corpus = await RandomWordsCorpusAsync(harness, 3000);

        var row = await RowAsync(harness, corpus);
        var again = await HnswEfSearchTuner.TuneAsync(harness.Database.DataSource, corpus, new LexicalEmbedder(256), 32, 1.0, [40, 64, 80], harness.Options,
            TestContext.Current.CancellationToken);

        Assert.Equal(80, row.HnswEfSearch);
        Assert.False(again!.Reached);
        Assert.Equal([40, 64, 80], again.RecallByEfSearch.Keys.Order());
        Assert.Equal(again.RecallByEfSearch[80], row.HnswRecallAt10!.Value, 9);
        Assert.True(row.HnswRecallAt10 < 1.0);
    }

    /// <summary>
    /// Scans and sorts priced out for every later connection to the test's database: at 3,000 chunks
    /// the planner may rank a list exactly, by a scan and sort of the halfvec casts, or walk the HNSW
    /// index, a plan per statement, and only the walk shows which ef_search a search ran with.
    /// </summary>
    private static async Task WalkTheIndexAsync(CorporaHarness harness, CancellationToken ct)
    {
        await using (var connection = await harness.Database.DataSource.OpenConnectionAsync(ct))
        {
            foreach (var setting in new[] { "enable_seqscan", "enable_sort" })
            {
                await using var off = new NpgsqlCommand($"ALTER DATABASE \"{harness.Database.Name}\" SET {setting} = off", connection);
                await off.ExecuteNonQueryAsync(ct);
            }
        }
        harness.Database.DataSource.Clear();
    }

    private static async Task StoreEfSearchAsync(CorporaHarness harness, long corpus, int efSearch, CancellationToken ct)
    {
        await using var db = harness.Database.CreateDbContext();
        await db.Corpora.Where(c => c.Id == corpus).ExecuteUpdateAsync(s => s.SetProperty(c => c.HnswEfSearch, efSearch), ct);
    }

    /// <summary>Share of the reference top 10s the retriever's own vector search finds, at whatever ef_search it picks.</summary>
    private static async Task<double> OverlapAsync(CorporaHarness harness, long corpus, List<string> queries, List<List<RetrievedChunk>> reference,
        CancellationToken ct)
    {
        double found = 0, possible = 0;
        for (var i = 0; i < queries.Count; i++)
        {
            var got = await harness.Retriever.VectorAsync(corpus, queries[i], 10, ct);
            var bound = 1 - reference[i][^1].Score + 1e-6;
            found += Math.Min(reference[i].Count, got.Count(c => 1 - c.Score <= bound));
            possible += reference[i].Count;
        }
        return found / possible;
    }

    [Fact]
    public async Task TuningFails_AfterTheChunksAreStored_IsLoggedAndClearsTheTunedValue_WithoutThrowing()
    {
        await using var harness = await CorporaHarness.CreateAsync(SparseGraph);
        var ct = TestContext.Current.CancellationToken;
        var corpus = await RandomWordsCorpusAsync(harness, 600);
        Assert.NotNull((await RowAsync(harness, corpus)).HnswEfSearch);
        var logger = new ListLogger();

        var tuning = await HnswEfSearchTuner.TryTuneAndStoreAsync(harness.Database.DataSource, corpus, new FailingEmbedder(), harness.Options, logger, ct);

        Assert.Null(tuning);
        var row = await RowAsync(harness, corpus);
        Assert.Equal((null, null, null), (row.HnswEfSearch, row.HnswRecallAt10, row.HnswTuneQueries));
        var warning = Assert.Single(logger.Entries);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("ef_search tuning failed", warning.Message);
        // Its searches still run, at HnswEfSearch.
        Assert.Equal(10, (await harness.Retriever.VectorAsync(corpus, "term1 term2 term3", 10, ct)).Count);
    }

    /// <summary>An embedder whose server went away after the chunks were embedded.</summary>
    private sealed class FailingEmbedder : Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>
    {
        public Task<Microsoft.Extensions.AI.GeneratedEmbeddings<Microsoft.Extensions.AI.Embedding<float>>> GenerateAsync(IEnumerable<string> values,
            Microsoft.Extensions.AI.EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new HttpRequestException("Connection refused (127.0.0.1:9)");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<(Microsoft.Extensions.Logging.LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) => Entries.Add((logLevel, formatter(state, exception)));
    }
}
