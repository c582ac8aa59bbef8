using Npgsql;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Tests.Infrastructure;
using static SelfLong.Tests.Corpora.TestFiles;

namespace SelfLong.Tests.Corpora;

/// <summary>How PostgreSQL runs the retriever's statements: planned once, and no posting list read twice.</summary>
[NeedsDatabase]
public sealed class RetrievalPlanTests
{
    private static async Task<(CorporaHarness Harness, long Corpus)> HarborCorpusAsync()
    {
        var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var texts = Enumerable.Range(0, 300).Select(i => $"The harbor log entry {i} noted calm water.").Append("The harbor lantern burned all night.");
        var lines = string.Join("\n", texts.Select((t, i) => System.Text.Json.JsonSerializer.Serialize(new { title = $"d{i}", text = t })));
        await harness.IngestAsync(corpus, ("harbor.jsonl", Utf8(lines)));
        return (harness, corpus);
    }

    /// <summary>
    /// The retriever prepares its statements, and PostgreSQL keeps a prepared statement's generic
    /// plan only when it costs no more than planning each execution for its values. A parameter in
    /// a LIMIT is priced at a tenth of the table in the generic plan, so at a million chunks every
    /// search was planned anew (8 to 14 ms). Only the query itself may be a parameter.
    /// </summary>
    [Fact]
    public void Lists_TakeOnlyTheQueryAsParameters()
    {
        var layouts = new[] { 256, 3000, 4096 }.SelectMany(dimension => new[] { false, true }.Select(half => new VectorLayout(dimension, half)));
        foreach (var layout in layouts)
        {
            var statements = new[]
            {
                RetrievalSql.VectorOnly(7, RetrievalSql.VectorList(7, layout, hasVector: true, depth: 50, candidates: 100)),
                RetrievalSql.FullTextOnly(7, RetrievalSql.FullTextList(7, bounded: true, depth: 50, candidates: 300, fill: 2500)),
                RetrievalSql.FullTextOnly(7, RetrievalSql.FullTextList(7, bounded: false, depth: 50, candidates: 300, fill: 2500)),
            };
            foreach (var sql in statements)
            {
                var parameters = System.Text.RegularExpressions.Regex.Matches(sql, @"(?<![@\w])@(\w+)").Select(m => m.Groups[1].Value).ToHashSet();
                Assert.Subset(new HashSet<string> { "q", "query" }, parameters);
                Assert.Matches(@"LIMIT \d+", sql);
            }
        }
    }

    [Theory]
    [InlineData("lantern", 1)]
    [InlineData("lantern night", 2)]
    public async Task FullTextBounded_OneWordQueryForBoth_ReadsThePostingListsOnce(string query, int scans)
    {
        var (harness, corpus) = await HarborCorpusAsync();
        await using var _ = harness;
        var ct = TestContext.Current.CancellationToken;

        // "harbor" is in every chunk (a common word); "lantern" and "night" in one. With one uncommon
        // word, "all but one of them" and "any of them" are the same query, read once.
        Assert.Equal(scans, await PostingListReadsAsync(harness, corpus, $"harbor {query}", ct));
        Assert.Equal("d300", (await harness.Retriever.FullTextAsync(corpus, $"harbor {query}", 3, ct))[0].DocumentTitle);
    }

    /// <summary>
    /// A single common word reads no posting list (it can hold half the corpus): the corpus's first
    /// chunks holding it are the candidates a bitmap scan would have returned first. Two common
    /// words still read their AND.
    /// </summary>
    [Fact]
    public async Task FullTextBounded_OneCommonWord_ReadsNoPostingList_AndFindsWhatRankingEveryMatchFinds()
    {
        var (harness, corpus) = await HarborCorpusAsync();
        await using var _ = harness;
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(0, await PostingListReadsAsync(harness, corpus, "harbor", ct));
        Assert.Equal(1, await PostingListReadsAsync(harness, corpus, "calm harbor", ct));
        var bounded = await harness.Retriever.FullTextAsync(corpus, "harbor", 5, ct);
        var exhaustive = await harness.Retriever.FullTextAsync(corpus, "harbor", 5, ct, exhaustive: true);
        Assert.Equal(5, bounded.Count);
        Assert.Equal(exhaustive.Select(c => (c.ChunkId, c.Score)), bounded.Select(c => (c.ChunkId, c.Score)));
    }

    /// <summary>Bitmap scans of the corpus's full-text index the bounded list runs for <paramref name="query"/>.</summary>
    private static async Task<int> PostingListReadsAsync(CorporaHarness harness, long corpus, string query, CancellationToken ct)
    {
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection)) await off.ExecuteNonQueryAsync(ct);
        var sql = RetrievalSql.FullTextOnly(corpus, RetrievalSql.FullTextList(corpus, bounded: true, depth: 10, candidates: 10, fill: 500));
        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, connection);
        explain.Parameters.AddWithValue("query", query);
        string json;
        await using (var reader = await explain.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            json = reader.GetString(0);
        }
        return RetrievalTests.Nodes(System.Text.Json.JsonDocument.Parse(json).RootElement)
            .Count(n => n.GetProperty("Node Type").GetString() == "Bitmap Index Scan" && n.GetProperty("Actual Loops").GetDouble() > 0
                        && n.GetProperty("Index Name").GetString() == ChunkTextIndex.NameFor(corpus));
    }
}
