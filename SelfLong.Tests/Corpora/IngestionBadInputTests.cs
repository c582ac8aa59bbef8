using System.Text;
using System.IO.Compression;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora;
using static SelfLong.Tests.Corpora.TestFiles;
using SelfLong.Data.Runs;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
public sealed class IngestionBadInputTests
{
    [Fact]
    public async Task Ingest_BadFilesAmongGoodOnes_ReportsEachOnItsFile_AndStoresTheRest()
    {
        await using var harness = await CorporaHarness.CreateAsync(o => o.MaxFileBytes = 64 * 1024);
        var corpus = await harness.CreateCorpusAsync();
        var bomb = Zip(("zeros.txt", new byte[8 << 20]), ("fine.txt", Utf8("A fine entry beside the bomb.")));
        byte[] invalidUtf8 = [.. Utf8("Caf"), 0xC3, 0x28, .. Utf8(" au lait, with a broken byte.")];

        var run = await harness.IngestAsync(corpus,
            ("good.txt", Utf8("A good file that must still be stored.")),
            ("empty.txt", []),
            ("letter.docx", Utf8("not really a docx")),
            ("latin1.txt", invalidUtf8),
            ("broken.pdf", Utf8("%PDF-1.7\nthis is not a pdf body")),
            ("broken.zip", Utf8("PK\u0003\u0004 definitely not a zip")),
            ("broken.parquet", Utf8("PAR1 not parquet at all PAR1")),
            ("traversal.zip", Zip(("../../etc/evil.txt", Utf8("escape attempt")), ("ok/inside.txt", Utf8("Safe entry text.")))),
            ("bomb.zip", bomb),
            ("records.jsonl", Utf8("{\"text\": \"First record.\"}\nthis is not json\n{\"title\": \"no text here\"}\n{\"text\": \"Fourth record.\"}\n")),
            ("huge.txt", new byte[100 * 1024]),
            ("scripted.html", Utf8("<body><p>Visible words.</p><script>document.write('hidden')</script></body>")));

        string Message(string file) => run.FileList.Single(f => f.FileName == file).Message ?? "";
        IngestionFileStatus Status(string file) => run.FileList.Single(f => f.FileName == file).Status;
        List<IngestionIssue> Issues(string file) => run.FileList.Single(f => f.FileName == file).Issues;

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(IngestionFileStatus.Succeeded, Status("good.txt"));
        Assert.Equal(IngestionFileStatus.Failed, Status("empty.txt"));
        Assert.Contains("empty", Message("empty.txt"));
        Assert.Equal(IngestionFileStatus.Failed, Status("letter.docx"));
        Assert.Contains("Unsupported file type '.docx'", Message("letter.docx"));
        Assert.Equal(IngestionFileStatus.Succeeded, Status("latin1.txt"));
        Assert.Contains(Issues("latin1.txt"), i => i.Severity == IngestionIssueSeverity.Warning && i.Message.Contains("Invalid UTF-8"));
        Assert.Contains("PDF could not be read", Message("broken.pdf"));
        Assert.Contains("zip archive is corrupt", Message("broken.zip"));
        Assert.Contains("Parquet file could not be read", Message("broken.parquet"));
        Assert.Equal(IngestionFileStatus.PartlyFailed, Status("traversal.zip"));
        Assert.Contains(Issues("traversal.zip"), i => i.Location.Contains("../../etc/evil.txt") && i.Message.Contains("path traversal"));
        Assert.Equal(IngestionFileStatus.PartlyFailed, Status("bomb.zip"));
        Assert.Contains(Issues("bomb.zip"), i => i.Location.Contains("zeros.txt") && i.Message.Contains("zip bomb"));
        Assert.Equal(IngestionFileStatus.PartlyFailed, Status("records.jsonl"));
        Assert.Contains(Issues("records.jsonl"), i => i.Location.EndsWith("line 2") && i.Message.Contains("not valid JSON"));
        Assert.Contains(Issues("records.jsonl"), i => i.Location.EndsWith("line 3") && i.Message.Contains("no 'text' string field"));
        Assert.Equal(IngestionFileStatus.Failed, Status("huge.txt"));
        Assert.Contains("larger than the limit of 64 KiB", Message("huge.txt"));
        Assert.Equal(IngestionFileStatus.Succeeded, Status("scripted.html"));

        var documents = await harness.DocumentsAsync(corpus);
        var texts = documents.Select(d => d.Text).ToList();
        Assert.Contains("A good file that must still be stored.", texts);
        Assert.Contains("Safe entry text.", texts);
        Assert.Contains("A fine entry beside the bomb.", texts);
        Assert.Contains("First record.", texts);
        Assert.Contains("Fourth record.", texts);
        Assert.Contains("Visible words.", texts);
        Assert.DoesNotContain(texts, t => t.Contains("hidden") || t.Contains("escape attempt"));
        var latin = documents.Single(d => d.Text.StartsWith("Caf"));
        Assert.True(latin.HadInvalidUtf8);
        Assert.Contains('\uFFFD', latin.Text);
        Assert.Equal(7, documents.Count);
    }

    [Fact]
    public async Task Ingest_GzipThatLiesAboutItsSize_StopsAtTheExpansionLimit()
    {
        await using var harness = await CorporaHarness.CreateAsync(o => o.MaxExpandedBytes = 4 << 20);
        var corpus = await harness.CreateCorpusAsync();
        var zeros = new byte[32 << 20];
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(zeros);

        var run = await harness.IngestAsync(corpus, ("bomb.txt.gz", compressed.ToArray()), ("ok.txt", Utf8("Still here.")));

        var bomb = run.FileList.Single(f => f.FileName == "bomb.txt.gz");
        Assert.Equal(IngestionFileStatus.Failed, bomb.Status);
        Assert.Contains("zip bomb", bomb.Message);
        Assert.Equal(IngestionFileStatus.Succeeded, run.FileList.Single(f => f.FileName == "ok.txt").Status);
    }

    [Fact]
    public async Task Ingest_CancelRequestedDuringRun_StopsBetweenBatchesAndKeepsWhatWasStored()
    {
        var ct = TestContext.Current.CancellationToken;
        // Embeddings come from the test server, which answers the probe and the first batch and holds the
        // next: the cancel is always requested while the run is mid-way, however fast the machine.
        await using var server = await OpenAiTestServer.StartAsync();
        await using var harness = await CorporaHarness.CreateAsync(o => o.BatchDocuments = 1);
        var (created, errors) = await harness.Corpora.CreateAsync(new CorpusSettings
        {
            Name = $"c-{Guid.NewGuid():N}", Embedder = EmbedderKind.OpenAi, EmbedderBaseUrl = server.V1, EmbedderModel = "embed-small",
        }, ct);
        Assert.Empty(errors);
        var corpus = created!.Id;
        server.HoldAfter(1);
        var lines = string.Join("\n", Enumerable.Range(0, 400).Select(i => $"{{\"text\": \"Record number {i} about sailing.\"}}"));
        var run = await harness.Ingestion.StartAsync(corpus, [await harness.UploadAsync("many.jsonl", Encoding.UTF8.GetBytes(lines))], enqueue: false, ct);

        var pipeline = harness.Job.RunAsync(run.Id, ct);
        await Poll.UntilAsync(async () => server.Held > 0 && (await harness.DocumentsAsync(corpus)).Count > 0 || pipeline.IsCompleted,
            "a document stored and the next batch's embedding held");
        Assert.False(pipeline.IsCompleted, "the run ended before the cancel");
        await harness.Ingestion.CancelAsync(run.Id, ct);
        server.Release();

        await pipeline;
        Assert.Equal(RunStatus.Cancelled, (await harness.Ingestion.FindAsync(run.Id, ct))!.Status);
        var finished = (await harness.Ingestion.FindAsync(run.Id, ct))!;
        Assert.Equal(RunStatus.Cancelled, finished.Status);
        // The first batch was committed before the cancel; the held one was not.
        Assert.Equal(1, finished.Documents);
        Assert.Single(await harness.DocumentsAsync(corpus));
    }
}
