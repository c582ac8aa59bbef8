using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Telemetry;
using SelfLong.Tests.Corpora;
using SelfLong.Tests.Infrastructure;
using static SelfLong.Tests.Corpora.TestFiles;

namespace SelfLong.Tests.Telemetry;

/// <summary>An ingestion's steps as spans: where its time went, for traces and for `bench corpus`.</summary>
[NeedsDatabase]
[Collection(TelemetryCollection.Name)]
public sealed class IngestionTelemetryTests
{
    [Fact]
    public async Task Ingestion_EachStepIsASpanOfTheRun_InTheOrderItStarted_IndexesAtOnce_AndTheBenchReadsTheirSeconds()
    {
        using var capture = new TelemetryCapture();
        using var times = new IngestionStepTimes();
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();

        var run = await harness.IngestAsync(corpus, ("a.jsonl", Utf8("{\"text\": \"Lighthouses guide ships.\"}\n{\"text\": \"Tariffs protect steel.\"}")));

        var spans = capture.Spans.Where(s => s.Source.Name == JobTracing.Name && Equals(s.GetTagItem(JobTracing.RunId), run.Id)).ToList();
        // Run here, not by Hangfire: the run's own span is the steps' parent.
        var runSpan = Assert.Single(spans, s => s.DisplayName == "IngestionRun here");
        var steps = spans.Where(s => s != runSpan).ToList();
        Assert.All(steps, s => Assert.Equal(runSpan.SpanId, s.ParentSpanId));
        string[] names = [IngestionSteps.Store, IngestionSteps.Statistics, IngestionSteps.TextIndex, IngestionSteps.VectorIndex, IngestionSteps.Tuning];
        Assert.Equal(names.Select(n => $"ingestion {n}"), steps.OrderBy(s => s.StartTimeUtc).Select(s => s.DisplayName));
        Assert.All(steps, s => Assert.True(s.Duration > TimeSpan.Zero));
        // In the corpus's own partition the two index builds run at once (LoadIndexes).
        var text = steps.Single(s => s.DisplayName == $"ingestion {IngestionSteps.TextIndex}");
        var vector = steps.Single(s => s.DisplayName == $"ingestion {IngestionSteps.VectorIndex}");
        Assert.True(text.StartTimeUtc < vector.StartTimeUtc + vector.Duration && vector.StartTimeUtc < text.StartTimeUtc + text.Duration,
            $"full-text index {text.StartTimeUtc:O} + {text.Duration}, HNSW index {vector.StartTimeUtc:O} + {vector.Duration}");
        Assert.Equal(names.Order(), times.Seconds.Keys.Order());
        Assert.All(times.Seconds.Values, seconds => Assert.True(seconds > 0));
    }
}
