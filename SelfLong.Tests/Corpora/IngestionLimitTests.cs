using System.Text;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Extraction;
using static SelfLong.Tests.Corpora.TestFiles;
using SelfLong.Data.Runs;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

/// <summary>The document size limit in every record format, and cancellation inside a long file.</summary>
[NeedsDatabase]
public sealed class IngestionLimitTests
{
    private const long Limit = 4 * 1024;
    private static readonly string Long = string.Join(" ", Enumerable.Repeat("tide", 2000));

    [Fact]
    public async Task Ingest_RecordOverTheDocumentLimit_IsNamedInEachFormat_AndTheOthersAreStored()
    {
        await using var harness = await CorporaHarness.CreateAsync(o => o.MaxDocumentBytes = Limit);
        var corpus = await harness.CreateCorpusAsync();

        var run = await harness.IngestAsync(corpus,
            ("lines.jsonl", Utf8($"{{\"text\": \"Lines first.\"}}\n{{\"text\": \"{Long}\"}}\n{{\"text\": \"Lines third.\"}}\n")),
            ("array.json", Utf8($"[{{\"text\": \"Array first.\"}}, {{\"text\": \"{Long}\"}}, {{\"text\": \"Array third.\"}}]")),
            ("values.json", Utf8($"{{\"text\": \"Values first.\"}}\n{{\"text\": \"{Long}\"}}\n{{\"text\": \"Values third.\"}}")),
            ("rows.csv", Utf8($"title,text\nA,Csv first.\nB,\"{Long}\"\nC,Csv third.\n")),
            ("rows.parquet", await ParquetAsync(["Parquet first.", Long, "Parquet third."])),
            ("groups.parquet", await ParquetGroupsAsync([Long], ["Group two."])),
            ("whole.txt", Utf8(Long)),
            ("header.csv", Utf8($"{Long},title\nA,B\n")));

        IngestionFile File(string name) => run.FileList.Single(f => f.FileName == name);
        void Skipped(string name, string location, string what)
        {
            Assert.Equal(IngestionFileStatus.PartlyFailed, File(name).Status);
            var issue = Assert.Single(File(name).Issues, i => i.Severity == IngestionIssueSeverity.Error);
            Assert.EndsWith(location, issue.Location);
            Assert.StartsWith($"{what} is 9.8 KiB, larger than the limit of 4 KiB for one document; skipped.", issue.Message);
        }
        Skipped("lines.jsonl", "line 2", "Line 2");
        Skipped("array.json", "record 2", "Record 2");
        Skipped("values.json", "record 2", "Record 2");
        Skipped("rows.parquet", "row 2", "Row 2");
        Assert.Equal(IngestionFileStatus.PartlyFailed, File("groups.parquet").Status);
        var group = Assert.Single(File("groups.parquet").Issues);
        Assert.EndsWith("row 1", group.Location);
        Assert.Contains("Row 1 is ", group.Message);
        Assert.Contains("larger than the limit of 4 KiB", group.Message);
        // A CSV parser cannot step past a field: the file stops there, and the rows before it are kept.
        Assert.Equal(IngestionFileStatus.PartlyFailed, File("rows.csv").Status);
        Assert.Contains("Row 3 (rows.csv) has a field longer than the limit of 4 KiB", File("rows.csv").Message);
        Assert.Equal(IngestionFileStatus.Failed, File("header.csv").Status);
        Assert.Equal("Row 1 (header.csv) has a field longer than the limit of 4 KiB for one document; reading stopped there.", File("header.csv").Message);
        Assert.Equal(IngestionFileStatus.Failed, File("whole.txt").Status);
        Assert.Contains("larger than the limit of 4 KiB for one document", File("whole.txt").Message);

        var texts = (await harness.DocumentsAsync(corpus)).Select(d => d.Text).Order().ToList();
        Assert.Equal(["Array first.", "Array third.", "Csv first.", "Group two.", "Lines first.", "Lines third.", "Parquet first.",
            "Parquet third.", "Values first.", "Values third."], texts);
    }

    [Fact]
    public async Task Ingest_HundredThousandBadLines_CountsThemAllStoresTheFirst500AndTheGoodLine()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var lines = string.Concat(Enumerable.Repeat("not json\n", 100_000)) + "{\"text\": \"The one good line.\"}\n";

        var run = await harness.IngestAsync(corpus, ("noisy.jsonl", Utf8(lines)));

        var file = run.FileList.Single();
        Assert.Equal(IngestionFileStatus.PartlyFailed, file.Status);
        Assert.Equal(100_000, file.Errors);
        await using var db = harness.Database.CreateDbContext();
        Assert.Equal(500, db.IngestionIssues.Count(i => i.FileId == file.Id));
        Assert.Equal("The one good line.", Assert.Single(await harness.DocumentsAsync(corpus)).Text);
    }

    [Theory]
    [InlineData("big.jsonl", "{\"text\": \"", "\"}\n{\"text\": \"After it.\"}\n", "Line 1 is 256 MiB")]
    [InlineData("big.json", "[{\"text\": \"", "\"}, {\"text\": \"After it.\"}]", "Record 1 is 256 MiB")]
    public async Task Extract_QuarterGigabyteRecord_IsReadPastWithoutHoldingIt(string name, string head, string tail, string message)
    {
        var ct = TestContext.Current.CancellationToken;
        var stream = new GeneratedStream(head, (byte)'a', 256L << 20, tail);
        var context = new ExtractionContext(new CorporaOptions { MaxDocumentBytes = 1 << 20 }, "text", "title");
        var documents = new List<ExtractedDocument>();

        // The stream completes every read at once, so the whole read runs on this thread.
        var before = GC.GetAllocatedBytesForCurrentThread();
        await foreach (var document in DocumentExtractor.ExtractAsync(stream, name, stream.Length, context, 0, ct)) documents.Add(document);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("After it.", Assert.Single(documents).Text);
        Assert.Contains(context.Issues, i => i.Message.StartsWith(message, StringComparison.Ordinal));
        Assert.InRange(allocated, 0, 16L << 20);
    }

    [Fact]
    public async Task Extract_CancelledInsideOneLongLine_StopsReading()
    {
        using var cancel = new CancellationTokenSource();
        var stream = new GeneratedStream("{\"text\": \"", (byte)'a', 1L << 30, "\"}\n") { CancelAfter = (8 << 20, cancel) };
        var context = new ExtractionContext(new CorporaOptions(), "text", "title");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in DocumentExtractor.ExtractAsync(stream, "long.jsonl", stream.Length, context, 0, cancel.Token)) { }
        });

        Assert.InRange(stream.Position, 8 << 20, 9 << 20);
    }

    [Fact]
    public async Task Ingest_CancelRequestedInsideOneLongDocument_SkipsTheFileStoresNothingAndRemovesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var random = new Random(5);
        string[] words = ["wave", "gull", "salt", "keel", "mast", "reef", "tide", "spray"];
        var upload = await harness.UploadAsync("long.txt", Encoding.UTF8.GetBytes(string.Join(' ', Enumerable.Range(0, 6_000_000).Select(_ => words[random.Next(words.Length)]))));
        var run = await harness.Ingestion.StartAsync(corpus, [upload], enqueue: false, ct);

        var pipeline = harness.Job.RunAsync(run.Id, ct);
        await Poll.UntilAsync(async () => (await harness.Ingestion.FindAsync(run.Id, ct))!.FileList.Single().Status == IngestionFileStatus.Running || pipeline.IsCompleted,
            "the file to be read", interval: TimeSpan.FromMilliseconds(20));
        await harness.Ingestion.CancelAsync(run.Id, ct);

        // The one document is still being chunked when the request comes: before, it was stored
        // anyway and the cancel only stopped the next file.
        await pipeline;
        Assert.Equal(RunStatus.Cancelled, (await harness.Ingestion.FindAsync(run.Id, ct))!.Status);
        var finished = (await harness.Ingestion.FindAsync(run.Id, ct))!;
        Assert.Equal(IngestionFileStatus.Skipped, finished.FileList.Single().Status);
        Assert.Equal(0, finished.Documents);
        Assert.Empty(await harness.DocumentsAsync(corpus));
        Assert.False(await harness.StoredAsync(upload.UploadId!.Value));
    }
}
