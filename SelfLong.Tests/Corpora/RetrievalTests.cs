using Npgsql;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Corpora.Storage;
using static SelfLong.Tests.Corpora.TestFiles;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
public sealed class RetrievalTests
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

    private static async Task<(CorporaHarness Harness, long Corpus)> HandmadeCorpusAsync()
    {
        var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var lines = string.Join("\n", Handmade.Select(d => System.Text.Json.JsonSerializer.Serialize(new { title = d.Title, text = d.Text })));
        await harness.IngestAsync(corpus, ("handmade.jsonl", Utf8(lines)));
        return (harness, corpus);
    }

    [Theory]
    [InlineData(RetrievalMode.Hybrid)]
    [InlineData(RetrievalMode.Vector)]
    [InlineData(RetrievalMode.FullText)]
    public async Task Search_QueryAboutOneDocument_RanksItFirst(RetrievalMode mode)
    {
        var (harness, corpus) = await HandmadeCorpusAsync();
        await using var _ = harness;
        var ct = TestContext.Current.CancellationToken;

        var tariffs = await harness.Retriever.SearchAsync(corpus, "tariffs on steel imports", 3, mode, ct);
        var lighthouse = await harness.Retriever.SearchAsync(corpus, "the lighthouse keeper and the lamp", 3, mode, ct);

        Assert.Equal("Tariffs", tariffs[0].DocumentTitle);
        Assert.Equal("Lighthouses", lighthouse[0].DocumentTitle);
        Assert.True(tariffs[0].Score > 0);
        Assert.All(tariffs.Zip(tariffs.Skip(1)), pair => Assert.True(pair.First.Score >= pair.Second.Score));
    }

    [Fact]
    public async Task SearchHybrid_ChunkRankedWellByBothLists_BeatsChunkFoundByOneOnly()
    {
        var (harness, corpus) = await HandmadeCorpusAsync();
        await using var _ = harness;
        var ct = TestContext.Current.CancellationToken;

        var hybrid = await harness.Retriever.SearchAsync(corpus, "whale oil lamps", 6, RetrievalMode.Hybrid, ct);
        var vector = await harness.Retriever.VectorAsync(corpus, "whale oil lamps", 50, ct);
        var fullText = await harness.Retriever.FullTextAsync(corpus, "whale oil lamps", 50, ct);

        Assert.Equal("Whale oil", hybrid[0].DocumentTitle);
        var expected = ReciprocalRankFusion.Fuse(6, vector, fullText);
        Assert.Equal(expected.Select(c => c.ChunkId), hybrid.Select(c => c.ChunkId));
        Assert.Equal(2.0 / (PgCorpusRetriever.RrfK + 1), hybrid[0].Score, 1e-9);
    }

    [Fact]
    public async Task FullText_MoreMatchesThanCandidates_StillRanksTheChunkWithEveryWordFirst()
    {
        await using var harness = await CorporaHarness.CreateAsync(o => o.FullTextCandidates = 10);
        var ct = TestContext.Current.CancellationToken;
        var corpus = await harness.CreateCorpusAsync();
        // Forty chunks hold one of the query's words and come first in the table; the one holding
        // all three comes last, where ten candidates taken in table order would not reach it.
        var texts = Enumerable.Range(0, 40).Select(i => $"Harbor record {i}: the boats came in with the evening tide number {i}.")
            .Append("The harbor lantern keeper logged every ship.");
        var lines = string.Join("\n", texts.Select((t, i) => System.Text.Json.JsonSerializer.Serialize(new { title = $"d{i}", text = t })));
        await harness.IngestAsync(corpus, ("harbor.jsonl", Utf8(lines)));

        var bounded = await harness.Retriever.FullTextAsync(corpus, "harbor lantern keeper", 5, ct);
        var exhaustive = await harness.Retriever.FullTextAsync(corpus, "harbor lantern keeper", 5, ct, exhaustive: true);
        var hybrid = await harness.Retriever.SearchAsync(corpus, "harbor lantern keeper", 5, RetrievalMode.Hybrid, ct);

        Assert.Equal("d40", exhaustive[0].DocumentTitle);
        Assert.Equal("d40", bounded[0].DocumentTitle);
        Assert.Equal("d40", hybrid[0].DocumentTitle);
        Assert.Equal(5, bounded.Count);
    }

    [Fact]
    public async Task RandomChunk_SameSeed_SameChunk_AndDocumentReadsBack()
    {
        var (harness, corpus) = await HandmadeCorpusAsync();
        await using var _ = harness;
        var ct = TestContext.Current.CancellationToken;

        var first = await harness.Retriever.RandomChunkAsync(corpus, new Random(7), ct);
        var again = await harness.Retriever.RandomChunkAsync(corpus, new Random(7), ct);
        var drawn = new HashSet<long>();
        var random = new Random(1);
        for (var i = 0; i < 40; i++) drawn.Add((await harness.Retriever.RandomChunkAsync(corpus, random, ct))!.ChunkId);

        Assert.Equal(first!.ChunkId, again!.ChunkId);
        Assert.True(drawn.Count >= 4, "draws should cover most of the six chunks");
        var document = await harness.Retriever.GetDocumentAsync(first.DocumentId, ct);
        Assert.Equal(Handmade.Single(d => d.Title == document!.Title).Text, document!.Text);
        Assert.Null(await harness.Retriever.RandomChunkAsync(corpus + 1000, new Random(1), ct));
    }

    [Fact]
    public async Task RandomChunk_IdsMissingFromItsRange_DrawsItsOwnChunksUniformly_AndAfterMissesTheNextChunk()
    {
        var (harness, corpus) = await HandmadeCorpusAsync();
        await using var _ = harness;
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        var ids = new List<long>();
        await using (var read = new NpgsqlCommand("SELECT id FROM chunks WHERE corpus_id = $1 ORDER BY id", connection))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = corpus });
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt64(0));
        }
        Assert.Equal(6, ids.Count);
        Assert.Equal(5, ids[^1] - ids[0]);
        // Three neighbours gone: a draw that took the next chunk after a random id would give
        // the one after the gap four times in six.
        await using (var delete = new NpgsqlCommand("DELETE FROM chunks WHERE id = ANY($1)", connection))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = ids[1..4].ToArray() });
            Assert.Equal(3, await delete.ExecuteNonQueryAsync(ct));
        }

        var counts = new Dictionary<long, int>();
        var random = new Random(3);
        for (var i = 0; i < 900; i++)
        {
            var id = (await harness.Retriever.RandomChunkAsync(corpus, random, ct))!.ChunkId;
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        Assert.Equal([ids[0], ids[4], ids[5]], counts.Keys.Order());
        Assert.All(counts.Values, n => Assert.InRange(n, 240, 360));

        // Every try lands on a deleted id: the chunk after the first try is taken.
        Assert.Equal(ids[4], (await harness.Retriever.RandomChunkAsync(corpus, new Fixed(0.5), ct))!.ChunkId);
    }

    /// <summary>A random source that always gives one value.</summary>
    private sealed class Fixed(double value) : Random
    {
        public override double NextDouble() => value;
    }

    [Fact]
    public async Task FullTextSearch_ReadsTheCorpusOwnTextIndex_NotAnotherCorpusRows()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var corpus = await harness.CreateCorpusAsync();
        // Large enough that reading the word's postings beats reading every chunk of the corpus,
        // with or without statistics of search_vector (ingestion does not gather them).
        var lines = Enumerable.Range(0, 1000).Select(i => i % 250 == 0 ? $"A whale surfaced, log {i}." : $"Log entry {i} noted calm water.")
            .Select((t, i) => System.Text.Json.JsonSerializer.Serialize(new { title = $"d{i}", text = t }));
        await harness.IngestAsync(corpus, ("log.jsonl", Utf8(string.Join("\n", lines))));
        var other = await harness.CreateCorpusAsync();
        await harness.IngestAsync(other, ("other.txt", Utf8(string.Join(" ", Enumerable.Repeat("Whales and lighthouses and harbours.", 50)))));
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection)) await off.ExecuteNonQueryAsync(ct);
        await using var explain = new NpgsqlCommand(
            $"EXPLAIN SELECT id FROM chunks WHERE corpus_id = {corpus} AND search_vector @@ to_tsquery('english', 'whale')", connection);
        var plan = string.Join("\n", await ReadAllAsync(explain, ct));

        Assert.Contains(ChunkTextIndex.NameFor(corpus), plan);
        Assert.DoesNotContain(ChunkTextIndex.NameFor(other), plan);
        await using var indexes = new NpgsqlCommand("SELECT indexname FROM pg_indexes WHERE tablename LIKE 'chunks%' AND indexdef LIKE '%USING gin%'", connection);
        Assert.Equal(new[] { ChunkTextIndex.NameFor(corpus), ChunkTextIndex.NameFor(other) }.Order(), (await ReadAllAsync(indexes, ct)).Order());
    }

    [Fact]
    public async Task VectorSearch_UsesTheCorpusHnswIndex()
    {
        var (harness, corpus) = await HandmadeCorpusAsync();
        await using var _ = harness;
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection)) await off.ExecuteNonQueryAsync(ct);
        var layout = (await VectorLayout.ReadAsync(connection, corpus, ct))!;
        var zero = "[" + string.Join(",", Enumerable.Repeat("0.0625", 256)) + "]";
        await using var explain = new NpgsqlCommand(
            $"EXPLAIN SELECT id FROM chunks WHERE corpus_id = {corpus} AND embedding IS NOT NULL ORDER BY {layout.IndexOrder($"'{zero}'::vector")} LIMIT 5", connection);
        var plan = string.Join("\n", await ReadAllAsync(explain, ct));

        Assert.Contains(ChunkVectorIndex.NameFor(corpus), plan);
        var chunks = await harness.Corpora.GetAsync(corpus, ct);
        Assert.Equal(6, chunks!.Chunks);
    }

    [Fact]
    public async Task VectorSearch_RightAfterIngestion_PlannerKnowsTheCorpusSizeAndWalksItsHnswIndex()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var corpus = await harness.CreateCorpusAsync(new CorpusSettings { Name = "many", ChunkTokens = 16, ChunkOverlapTokens = 0 });
        var words = new[] { "harpoon", "tariff", "lamp", "ledger", "compass", "harbour", "senate", "whale", "budget", "mast", "canal", "treaty" };
        var random = new Random(5);
        var lines = Enumerable.Range(0, 3000).Select(i => System.Text.Json.JsonSerializer.Serialize(new
        {
            title = $"Entry {i}",
            text = string.Join(' ', Enumerable.Range(0, 6).Select(_ => words[random.Next(words.Length)])) + $" number {i}.",
        }));
        await harness.IngestAsync(corpus, ("many.jsonl", Utf8(string.Join("\n", lines))));
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);

        await using var count = new NpgsqlCommand($"EXPLAIN (FORMAT JSON) SELECT id FROM chunks WHERE corpus_id = {corpus}", connection);
        var estimate = System.Text.Json.JsonDocument.Parse((await ReadAllAsync(count, ct))[0]).RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
        var layout = (await VectorLayout.ReadAsync(connection, corpus, ct))!;
        var query = "[" + string.Join(",", Enumerable.Repeat("0.0625", 256)) + "]";
        await using var explain = new NpgsqlCommand($"""
            EXPLAIN SELECT id, {layout.ExactDistance($"'{query}'::vector")} AS distance FROM chunks
            WHERE corpus_id = {corpus} AND dimension = 256 AND {layout.Column} IS NOT NULL ORDER BY {layout.IndexOrder($"'{query}'::vector")} LIMIT 50
            """, connection);
        var plan = string.Join("\n", await ReadAllAsync(explain, ct));

        // Stale statistics (the corpus counted as empty) made the planner sort every chunk instead.
        Assert.InRange(estimate, 2400, 3600);
        Assert.Contains(ChunkVectorIndex.NameFor(corpus), plan);
    }

    [Theory]
    [InlineData(2, "WITH (m='24', ef_construction='100')")]
    [InlineData(3, "WITH (m='16', ef_construction='64')")]
    public async Task Ingestion_BuildsTheHnswIndexWithTheConfiguredGraphSettings_OrPgvectorsDefaultsBelowTheirSize(long fromChunks, string expected)
    {
        await using var harness = await CorporaHarness.CreateAsync(o => (o.HnswM, o.HnswEfConstruction, o.HnswFromChunks) = (24, 100, fromChunks));
        var ct = TestContext.Current.CancellationToken;
        var corpus = await harness.CreateCorpusAsync();
        await harness.IngestAsync(corpus, ("a.jsonl", Utf8("{\"text\": \"Lighthouses guide ships.\"}\n{\"text\": \"Tariffs protect steel.\"}")));
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        await using var definition = new NpgsqlCommand($"SELECT pg_get_indexdef('{ChunkVectorIndex.NameFor(corpus)}'::regclass)", connection);

        Assert.Contains(expected, (string)(await definition.ExecuteScalarAsync(ct))!);
    }

    [Theory]
    [InlineData(0.02, false)]
    [InlineData(1.0, true)]
    public async Task FullTextBounded_WordInMostChunks_ItsPostingListIsReadOnlyWhenCommonWordsAreNotLeftOut(double commonShare, bool readsCommonWord)
    {
        await using var harness = await CorporaHarness.CreateAsync(o => o.FullTextCandidates = 10);
        var ct = TestContext.Current.CancellationToken;
        var corpus = await harness.CreateCorpusAsync();
        var texts = Enumerable.Range(0, 600).Select(i => $"The harbor log entry {i} noted calm water.").Append("The harbor lantern burned all night.");
        var lines = string.Join("\n", texts.Select((t, i) => System.Text.Json.JsonSerializer.Serialize(new { title = $"d{i}", text = t })));
        await harness.IngestAsync(corpus, ("harbor.jsonl", Utf8(lines)));
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        // Index scans only, so the plan reads posting lists whatever the table's size.
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection)) await off.ExecuteNonQueryAsync(ct);

        // The list reads the corpus's common words from its row: measured at the share under test.
        await CorpusCommonWords.MeasureAndStoreAsync(connection, corpus, commonShare, ct);
        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, FORMAT JSON) " + RetrievalSql.FullTextOnly(corpus, RetrievalSql.FullTextList(corpus, bounded: true, depth: 10, candidates: 10, fill: 500)), connection);
        explain.Parameters.AddWithValue("query", "harbor lantern");
        var plan = System.Text.Json.JsonDocument.Parse((await ReadAllAsync(explain, ct))[0]).RootElement;
        var postings = Nodes(plan).Where(n => n.GetProperty("Node Type").GetString() == "Bitmap Index Scan"
                && n.GetProperty("Index Name").GetString() == ChunkTextIndex.NameFor(corpus)).Max(n => n.GetProperty("Actual Rows").GetDouble());
        var found = await harness.Retriever.FullTextAsync(corpus, "harbor lantern", 3, ct);

        Assert.Equal(readsCommonWord, postings >= 600);
        Assert.Equal("d600", found[0].DocumentTitle);
        Assert.Equal(3, found.Count);
    }

    /// <summary>Every plan node of an EXPLAIN (FORMAT JSON) document.</summary>
    internal static IEnumerable<System.Text.Json.JsonElement> Nodes(System.Text.Json.JsonElement element)
    {
        if (element.ValueKind == System.Text.Json.JsonValueKind.Array)
            return element.EnumerateArray().SelectMany(Nodes);
        if (element.ValueKind != System.Text.Json.JsonValueKind.Object) return [];
        var children = element.EnumerateObject().SelectMany(p => Nodes(p.Value));
        return element.TryGetProperty("Node Type", out _) ? children.Prepend(element) : children;
    }

    private static async Task<List<string>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) lines.Add(reader.GetString(0));
        return lines;
    }
}
