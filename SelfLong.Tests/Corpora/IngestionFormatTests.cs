using SelfLong.Data.Corpora;
using static SelfLong.Tests.Corpora.TestFiles;
using SelfLong.Data.Runs;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
public sealed class IngestionFormatTests
{
    [Fact]
    public async Task Ingest_EveryFormat_StoresOneDocumentPerFileOrRecord()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();

        var run = await harness.IngestAsync(corpus,
            ("notes.txt", Utf8("Plain text about lighthouses. They guide ships at night.")),
            ("readme.md", Utf8("# Harbour\n\nMarkdown about a harbour and its cranes.")),
            ("page.html", Utf8("<html><head><title>Glaciers</title><style>p{color:red}</style></head><body><h1>Ice</h1><p>Glaciers carve valleys.</p><script>alert('x')</script></body></html>")),
            ("report.pdf", Pdf("Volcanoes erupt molten rock.", "Lava cools into basalt.")),
            ("records.jsonl", Utf8("{\"text\": \"Owls hunt at dusk.\", \"title\": \"Owls\"}\n\n{\"text\": \"Bats navigate by echolocation.\"}\n")),
            ("array.json", Utf8("[{\"text\": \"Coral reefs shelter fish.\"}, {\"text\": \"Kelp forests grow fast.\", \"title\": \"Kelp\"}]")),
            ("lines.json", Utf8("{\"text\": \"Deserts receive little rain.\"}\n{\"text\": \"Cacti store water.\"}")),
            ("table.csv", Utf8("title,text\nRivers,\"Rivers flow to the sea, mostly.\"\nLakes,Lakes are still water.\n")),
            ("hf.parquet", await ParquetAsync(["Comets have icy tails.", "Meteors burn in the atmosphere."], ["Comets", "Meteors"])),
            ("bundle.zip", Zip(("docs/a.txt", Utf8("Zipped text about tides.")), ("docs/b.jsonl", Utf8("{\"text\": \"Zipped record about waves.\"}")))),
            ("bundle.tar.gz", TarGz(("x/c.md", Utf8("Tarred note about currents.")), ("x/d.csv", Utf8("text\nTarred row about estuaries.\n")))),
            ("single.txt.gz", Gzip(Utf8("Gzipped text about fjords."))));

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.All(run.FileList, f => Assert.True(f.Status == IngestionFileStatus.Succeeded, $"{f.FileName}: {f.Status} {f.Message}"));
        var documents = await harness.DocumentsAsync(corpus);
        Assert.Equal(19, documents.Count);
        Assert.Equal(19, run.Documents);
        Assert.True(run.Chunks >= 19);
        Assert.True(run.Tokens > 50);

        var html = documents.Single(d => d.Title == "Glaciers");
        Assert.Contains("Glaciers carve valleys.", html.Text);
        Assert.DoesNotContain("alert", html.Text);
        Assert.DoesNotContain("color", html.Text);
        var pdf = documents.Single(d => d.Title == "report.pdf");
        Assert.Contains("Volcanoes erupt molten rock.", pdf.Text);
        Assert.Contains("Lava cools into basalt.", pdf.Text);
        Assert.Contains(documents, d => d.Title == "Owls" && d.Text == "Owls hunt at dusk.");
        Assert.Contains(documents, d => d.Title == "Kelp");
        Assert.Contains(documents, d => d.Title == "Rivers" && d.Text == "Rivers flow to the sea, mostly.");
        Assert.Contains(documents, d => d.Title == "Meteors" && d.Text == "Meteors burn in the atmosphere.");
        Assert.Contains(documents, d => d.Text == "Zipped record about waves." && d.Source.Contains("bundle.zip > docs/b.jsonl"));
        Assert.Contains(documents, d => d.Text == "Tarred row about estuaries.");
        Assert.Contains(documents, d => d.Text == "Gzipped text about fjords.");
        // Counted sentence by sentence: equal to a whole-text count, or a token over where a line break follows punctuation.
        Assert.All(documents, d =>
        {
            var exact = SelfLong.Jobs.Text.TiktokenTokenCounter.Default.CountTokens(d.Text);
            Assert.InRange(d.TokenCount, exact, exact + 2);
        });
    }

    [Fact]
    public async Task Ingest_SameDocumentsTwice_SkipsAndCountsDuplicates()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var lines = Utf8("{\"text\": \"Alpha text.\"}\n{\"text\": \"Beta text.\"}\n{\"text\": \"Alpha text.\"}\n");

        var first = await harness.IngestAsync(corpus, ("a.jsonl", lines));
        var second = await harness.IngestAsync(corpus, ("again.jsonl", lines), ("alpha.txt", Utf8("Alpha text.")));

        Assert.Equal((2, 1), (first.Documents, first.Duplicates));
        Assert.Equal((0, 4), (second.Documents, second.Duplicates));
        Assert.Equal(2, (await harness.DocumentsAsync(corpus)).Count);
    }
}
