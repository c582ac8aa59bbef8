using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Extraction;

namespace SelfLong.Tests.Corpora;

public sealed class DemoSampleTests
{
    [Fact]
    public async Task Samples_ShipBesideTheExecutable_AndReadAsJsonLinesDocuments()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var sample in DemoCorpora.Samples)
        {
            var path = Path.Combine(DemoCorpora.SamplesDirectory, sample.FileName);
            Assert.True(File.Exists(path), $"{path} is missing");
            await using var stream = File.OpenRead(path);
            var context = new ExtractionContext(new CorporaOptions(), "text", "title");
            var documents = new List<ExtractedDocument>();
            await foreach (var document in DocumentExtractor.ExtractAsync(stream, sample.FileName, stream.Length, context, 0, ct))
            {
                documents.Add(document);
                if (documents.Count == 5) break;
            }

            Assert.Equal(5, documents.Count);
            Assert.Empty(context.Issues);
            Assert.All(documents, d => Assert.True(d.Text.Length > 500, $"{sample.FileName}: '{d.Title}' is short"));
        }
    }
}
