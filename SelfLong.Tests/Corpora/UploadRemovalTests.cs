using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using static SelfLong.Tests.Corpora.TestFiles;
using SelfLong.Data.Runs;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

/// <summary>Uploads leave the database when their run is done with them; server files a run only points at stay.</summary>
[NeedsDatabase]
public sealed class UploadRemovalTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("selflong-samples-").FullName;

    [Fact]
    public async Task Ingest_FinishedRun_RemovesEveryUpload_FailedOnesToo_ButNotAFileItOnlyPointsAt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var good = await harness.UploadAsync("good.txt", Utf8("A good file."));
        var bad = await harness.UploadAsync("bad.json", Utf8("[not json"));
        var sample = ServerFile("sample.txt", "A sample the server ships.");

        var run = await harness.Ingestion.StartAsync(corpus, [good, bad, sample], enqueue: false, ct);
        await harness.Job.RunAsync(run.Id, ct);
        var finished = (await harness.Ingestion.FindAsync(run.Id, ct))!;
        Assert.Equal(RunStatus.Succeeded, finished.Status);
        Assert.Equal(2, finished.Documents);

        Assert.False(await harness.StoredAsync(good.UploadId!.Value));
        Assert.False(await harness.StoredAsync(bad.UploadId!.Value));
        Assert.True(File.Exists(sample.StoredPath));
    }

    [Fact]
    public async Task Cancel_QueuedRun_RemovesItsUploads()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var first = await harness.UploadAsync("a.txt", Utf8("First."));
        var sample = ServerFile("sample.txt", "Shipped.");
        var run = await harness.Ingestion.StartAsync(corpus, [first, sample], enqueue: false, ct);
        Assert.True(await harness.StoredAsync(first.UploadId!.Value));

        Assert.True(await harness.Ingestion.CancelAsync(run.Id, ct));

        Assert.Equal(RunStatus.Cancelled, (await harness.Ingestion.FindAsync(run.Id, ct))!.Status);
        Assert.False(await harness.StoredAsync(first.UploadId!.Value));
        Assert.True(File.Exists(sample.StoredPath));
    }

    [Fact]
    public async Task Ingest_RunFails_RecordsFailedAndRemovesTheUploadsItDidNotReach()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var reached = await harness.UploadAsync("reached.txt", Utf8("Read, but its documents cannot be stored."));
        var waiting = await harness.UploadAsync("waiting.txt", Utf8("Never reached."));
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
        Assert.False(await harness.StoredAsync(reached.UploadId!.Value));
        Assert.False(await harness.StoredAsync(waiting.UploadId!.Value));
    }

    [Fact]
    public async Task DeleteCorpus_WithAQueuedRun_RemovesItsUploads()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var waiting = await harness.UploadAsync("waiting.txt", Utf8("Queued, then the corpus goes."));
        await harness.Ingestion.StartAsync(corpus, [waiting], enqueue: false, ct);

        Assert.True(await harness.Corpora.DeleteAsync(corpus, ct));

        Assert.False(await harness.StoredAsync(waiting.UploadId!.Value));
    }

    [Fact]
    public async Task Ingest_UploadOfSeveralPieces_ReadsBackEveryByteInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        // 2.5 pieces of distinct records: a piece lost, repeated or out of order changes the documents.
        var records = new List<string>();
        var bytes = 0L;
        for (var i = 0; bytes < UploadStore.ChunkBytes * 5L / 2; i++)
        {
            records.Add($"{{\"text\": \"Record {i:D7} of the long upload, about harbours and tides.\"}}");
            bytes += records[^1].Length + 1;
        }
        var upload = await harness.UploadAsync("long.jsonl", Utf8(string.Join("\n", records)));
        Assert.Equal(3, await PiecesAsync(harness, upload.UploadId!.Value));
        await using var read = harness.Uploads.OpenRead(upload.UploadId!.Value);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy, ct);
        Assert.Equal(Utf8(string.Join("\n", records)), copy.ToArray());
    }

    private static async Task<long> PiecesAsync(CorporaHarness harness, Guid upload)
    {
        await using var command = harness.Database.DataSource.CreateCommand("SELECT count(*) FROM upload_chunks WHERE upload_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = upload });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private IngestionInput ServerFile(string name, string text)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, Utf8(text));
        return new IngestionInput(name, path, new FileInfo(path).Length);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
