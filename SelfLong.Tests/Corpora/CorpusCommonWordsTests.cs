using Npgsql;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Tests.Infrastructure;
using static SelfLong.Tests.Corpora.TestFiles;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
public sealed class CorpusCommonWordsTests
{
    private static byte[] Lines(int count, Func<int, string> text) =>
        Utf8(string.Join("\n", Enumerable.Range(0, count).Select(i => System.Text.Json.JsonSerializer.Serialize(new { title = $"d{i}", text = text(i) }))));

    [Fact]
    public async Task Ingestion_StoresEachCorpusOwnCommonWords_NotTheWholeTableOnes()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var calm = await harness.CreateCorpusAsync();
        await harness.IngestAsync(calm, ("calm.jsonl", Lines(50, i => $"Calm water number {i} under a clear sky. A harbor was seen once.")));
        var harbor = await harness.CreateCorpusAsync();
        // Beside these 600 chunks "harbor" is in 650 of the table's 650: common table-wide.
        await harness.IngestAsync(harbor, ("harbor.jsonl", Lines(600, i => $"The harbor log entry {i} noted a lantern.")));

        var calmWords = await StoredAsync(harness, calm, ct);
        var harborWords = await StoredAsync(harness, harbor, ct);

        Assert.Contains("calm", calmWords.Words);
        Assert.Contains("harbor", calmWords.Words);
        Assert.DoesNotContain("lantern", calmWords.Words);
        Assert.Equal(["entri", "harbor", "lantern", "log", "note"], harborWords.Words.Order());
        Assert.Equal((0.02, 0.02), (calmWords.Share, harborWords.Share));
    }

    [Fact]
    public async Task Measure_CorpusOverTheSample_ReadsASampleOfItsChunks_WordsOverTheShareOnly()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var corpus = await harness.CreateCorpusAsync();
        // 4,000 one-chunk documents: "lantern" in a tenth of them, "beacon" in one in 200. In a
        // sample of 3,000 the line at 2 % is 60 chunks; about 300 hold "lantern" and 15 "beacon".
        await harness.IngestAsync(corpus, ("many.jsonl", Lines(4000, i =>
            $"Entry {i}: " + (i % 10 == 0 ? "the lantern was lit." : i % 200 == 1 ? "a beacon burned." : "nothing happened."))));
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);

        var words = await CorpusCommonWords.MeasureAndStoreAsync(connection, corpus, 0.02, ct);
        var none = await CorpusCommonWords.MeasureAndStoreAsync(connection, corpus, 1.0, ct);

        Assert.Contains("lantern", words);
        Assert.DoesNotContain("beacon", words);
        Assert.Equal("entri", words[0]);
        Assert.Empty(none);
        Assert.Equal(((string[])[], 1.0), await StoredAsync(harness, corpus, ct));
    }

    [Fact]
    public async Task Search_CorpusWithoutMeasuredWords_MeasuresAndStoresThemThenRanksAsBefore()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var corpus = await harness.CreateCorpusAsync();
        await harness.IngestAsync(corpus, ("harbor.jsonl", Lines(200, i => $"The harbor log entry {i} noted calm water.")));
        var before = await harness.Retriever.FullTextAsync(corpus, "harbor entry 7", 5, ct);
        // A corpus loaded before its common words were measured at each load.
        await using (var connection = await harness.Database.DataSource.OpenConnectionAsync(ct))
        await using (var clear = new NpgsqlCommand($"UPDATE corpora SET full_text_common_words = NULL, full_text_common_share = NULL WHERE id = {corpus}", connection))
            await clear.ExecuteNonQueryAsync(ct);

        var after = await harness.Retriever.FullTextAsync(corpus, "harbor entry 7", 5, ct);

        Assert.Equal(before.Select(c => c.ChunkId), after.Select(c => c.ChunkId));
        Assert.Contains("harbor", (await StoredAsync(harness, corpus, ct)).Words);
    }

    private static async Task<(string[] Words, double? Share)> StoredAsync(CorporaHarness harness, long corpus, CancellationToken ct)
    {
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        await using var read = new NpgsqlCommand($"SELECT full_text_common_words, full_text_common_share FROM corpora WHERE id = {corpus}", connection);
        await using var reader = await read.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.IsDBNull(0) ? [] : reader.GetFieldValue<string[]>(0), reader.IsDBNull(1) ? null : reader.GetDouble(1));
    }
}
