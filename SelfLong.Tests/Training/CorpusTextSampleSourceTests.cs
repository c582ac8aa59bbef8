using Microsoft.EntityFrameworkCore;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Corpora;
using SelfLong.Tests.Infrastructure;
using static SelfLong.Tests.Corpora.TestFiles;

namespace SelfLong.Tests.Training;

[NeedsDatabase]
public sealed class CorpusTextSampleSourceTests
{
    [Fact]
    public async Task Load_ChunksInDocumentAndChunkOrder_EachTextReadWhenTheStreamReachesIt()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var corpus = await harness.CreateCorpusAsync(new Jobs.Corpora.CorpusSettings { Name = "text", ChunkTokens = 16, ChunkOverlapTokens = 0 });
        var lines = Enumerable.Range(0, 30).Select(i => System.Text.Json.JsonSerializer.Serialize(new
        {
            title = $"d{i}",
            text = string.Join(' ', Enumerable.Range(0, 12).Select(s => $"Document {i} sentence {s} about the sea.")),
        }));
        await harness.IngestAsync(corpus, ("text.jsonl", Utf8(string.Join("\n", lines))));
        await using var db = harness.Database.CreateDbContext();
        var stored = await db.Chunks.Where(c => c.CorpusId == corpus).OrderBy(c => c.DocumentId).ThenBy(c => c.Index)
            .Select(c => new { c.Id, c.Text }).ToListAsync(ct);

        var samples = await new CorpusTextSampleSource(harness.Database, corpus).LoadAsync(ct);
        var read = samples.Select(s => s.Response).ToList();
        // Read as it is when reached, not as it was when the source was loaded.
        await db.Chunks.Where(c => c.Id == stored[5].Id).ExecuteUpdateAsync(u => u.SetProperty(c => c.Text, "changed"), ct);
        var sixth = samples[5].Response;
        await db.Chunks.Where(c => c.Id == stored[6].Id).ExecuteDeleteAsync(ct);
        var gone = Assert.Throws<InvalidOperationException>(() => samples[6]);

        Assert.True(stored.Count > 30);
        Assert.Equal(stored.Select(c => c.Text), read);
        Assert.All(samples.Take(3), s => Assert.True(s.IsLong));
        Assert.Equal("changed", sixth);
        Assert.Contains($"Chunk #{stored[6].Id} of corpus #{corpus} is gone", gone.Message);
    }
}
