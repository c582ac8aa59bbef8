using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Tests.Infrastructure;
using static SelfLong.Tests.Corpora.TestFiles;

namespace SelfLong.Tests.Corpora;

/// <summary>Each corpus's chunks in its own partition: its indexes built there, and dropped with it.</summary>
[NeedsDatabase]
public sealed class ChunkPartitionTests
{
    [Fact]
    public async Task Corpus_IngestedThenDeleted_ItsIndexesLiveInItsPartitionWhichGoesWithIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var (corpus, other) = (await harness.CreateCorpusAsync(), await harness.CreateCorpusAsync());
        foreach (var id in new[] { corpus, other })
            await harness.IngestAsync(id, ("log.txt", Utf8("The harbor lantern burned all night. Whales passed the point at dawn.")));

        Assert.Equal([ChunkVectorIndex.NameFor(corpus), ChunkTextIndex.NameFor(corpus)], await IndexesOnAsync(harness, ChunkPartitions.NameFor(corpus), ct));

        Assert.True(await harness.Corpora.DeleteAsync(corpus, ct));

        Assert.False(await ExistsAsync(harness, ChunkPartitions.NameFor(corpus), ct));
        Assert.Contains("Whales", (await harness.Retriever.SearchAsync(other, "whales at dawn", 1, ct: ct)).Single().Text);
    }

    [Fact]
    public async Task Sweep_CorpusRowDeletedWithoutItsPartition_DropsThePartition()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var (gone, kept) = (await harness.CreateCorpusAsync(), await harness.CreateCorpusAsync());
        await using (var db = harness.Database.CreateDbContext())
            await db.Corpora.Where(c => c.Id == gone).ExecuteDeleteAsync(ct);
        var sweeper = new LeftoverSweeper(harness.Database, harness.Database.DataSource, Options.Create(new CorporaOptions()), NullLogger<LeftoverSweeper>.Instance);

        Assert.Equal([ChunkPartitions.NameFor(gone)], await sweeper.SweepIndexesAsync(ct));

        Assert.False(await ExistsAsync(harness, ChunkPartitions.NameFor(gone), ct));
        Assert.True(await ExistsAsync(harness, ChunkPartitions.NameFor(kept), ct));
    }

    private static async Task<List<string>> IndexesOnAsync(CorporaHarness harness, string table, CancellationToken ct)
    {
        await using var db = harness.Database.CreateDbContext();
        return await db.Database.SqlQuery<string>(
            $"""SELECT indexname AS "Value" FROM pg_indexes WHERE tablename = {table} AND indexname LIKE 'ix_chunks_%corpus_%' ORDER BY 1""").ToListAsync(ct);
    }

    private static async Task<bool> ExistsAsync(CorporaHarness harness, string table, CancellationToken ct)
    {
        await using var db = harness.Database.CreateDbContext();
        return await db.Database.SqlQuery<bool>($"""SELECT to_regclass({table}) IS NOT NULL AS "Value" """).SingleAsync(ct);
    }
}
