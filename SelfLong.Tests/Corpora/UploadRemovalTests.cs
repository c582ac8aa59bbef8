using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using static SelfLong.Tests.Corpora.TestFiles;
using SelfLong.Data.Runs;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

/// <summary>Uploaded files leave the disk when their run is done with them; files a run only points at stay.</summary>
[NeedsDatabase]
public sealed class UploadRemovalTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("selflong-uploads-").FullName;

    [Fact]
    public async Task Ingest_FinishedRun_RemovesEveryUpload_FailedOnesToo_ButNotAFileItOnlyPointsAt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var good = Upload("good.txt", "A good file.");
        var bad = Upload("bad.json", "[not json");
        var sample = Upload("sample.txt", "A sample the server ships.", deleteWhenDone: false);

        var run = await harness.Ingestion.StartAsync(corpus, [good, bad, sample], enqueue: false, ct);
        await harness.Job.RunAsync(run.Id, ct);
        Assert.Equal(RunStatus.Succeeded, (await harness.Ingestion.FindAsync(run.Id, ct))!.Status);

        Assert.False(File.Exists(good.StoredPath));
        Assert.False(File.Exists(bad.StoredPath));
        Assert.True(File.Exists(sample.StoredPath));
    }

    [Fact]
    public async Task Cancel_QueuedRun_RemovesItsUploads()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var first = Upload("a.txt", "First.");
        var sample = Upload("sample.txt", "Shipped.", deleteWhenDone: false);
        var run = await harness.Ingestion.StartAsync(corpus, [first, sample], enqueue: false, ct);

        Assert.True(await harness.Ingestion.CancelAsync(run.Id, ct));

        Assert.Equal(RunStatus.Cancelled, (await harness.Ingestion.FindAsync(run.Id, ct))!.Status);
        Assert.False(File.Exists(first.StoredPath));
        Assert.True(File.Exists(sample.StoredPath));
    }

    [Fact]
    public async Task Ingest_RunFails_RecordsFailedAndRemovesTheUploadsItDidNotReach()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var reached = Upload("reached.txt", "Read, but its documents cannot be stored.");
        var waiting = Upload("waiting.txt", "Never reached.");
        var run = await harness.Ingestion.StartAsync(corpus, [reached, waiting], enqueue: false, ct);
        // The database refuses the documents: the run itself fails, not one file.
        await using (var rename = harness.Database.DataSource.CreateCommand("ALTER TABLE documents RENAME TO documents_away"))
            await rename.ExecuteNonQueryAsync(ct);

        await Assert.ThrowsAnyAsync<Npgsql.PostgresException>(() => harness.Job.RunAsync(run.Id, ct));

        var failed = (await harness.Ingestion.FindAsync(run.Id, ct))!;
        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Contains("documents", failed.Message);
        Assert.NotNull(failed.CompletedAt);
        Assert.Equal([IngestionFileStatus.Failed, IngestionFileStatus.Pending], failed.FileList.OrderBy(f => f.Id).Select(f => f.Status));
        Assert.False(File.Exists(reached.StoredPath));
        Assert.False(File.Exists(waiting.StoredPath));
    }

    [Fact]
    public async Task DeleteCorpus_WithAQueuedRun_RemovesItsUploads()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var waiting = Upload("waiting.txt", "Queued, then the corpus goes.");
        await harness.Ingestion.StartAsync(corpus, [waiting], enqueue: false, ct);

        Assert.True(await harness.Corpora.DeleteAsync(corpus, ct));

        Assert.False(File.Exists(waiting.StoredPath));
    }

    private IngestionInput Upload(string name, string text, bool deleteWhenDone = true)
    {
        var path = Path.Combine(directory, $"{Guid.NewGuid():N}.upload");
        File.WriteAllBytes(path, Utf8(text));
        return new IngestionInput(name, path, new FileInfo(path).Length, deleteWhenDone);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
