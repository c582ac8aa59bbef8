using SelfLong.Data.Endpoints;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Synthesis;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

[NeedsDatabase]
public sealed class SynthesisSourceTests
{
    [Fact]
    public async Task LoadAsync_SynthesisRun_AcceptedSamplesAsChatWithLossRuleFlag()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        long runId;
        await using (var db = database.CreateDbContext())
        {
            var endpoint = new ModelEndpoint { Name = "extractive", Kind = ModelEndpointKind.Extractive };
            db.ModelEndpoints.Add(endpoint);
            await db.SaveChangesAsync(ct);
            var run = new SynthesisRun
            {
                Name = "r", EndpointId = endpoint.Id, GeneratorLabel = "extractive", SettingsJson = "{}", TemplatesJson = "{}", Tokenizer = "cl100k_base",
            };
            db.SynthesisRuns.Add(run);
            await db.SaveChangesAsync(ct);
            runId = run.Id;
            db.SynthesisSamples.AddRange(
                new Sample { RunId = runId, Index = 0, Kind = SampleKind.LongInput, Instruction = "question 0", Input = "docs + question 0", Target = "answer 0" },
                new Sample { RunId = runId, Index = 1, Kind = SampleKind.LongOutput, Instruction = "write it", Input = "write it", Target = "a long document" },
                new Sample { RunId = runId, Index = 2, Kind = SampleKind.LongInput, Input = "rejected", Target = "x", Rejected = true },
                new Sample { RunId = runId, Index = 3, Kind = SampleKind.LongInput, Status = SampleStatus.Failed, Error = "boom" });
            await db.SaveChangesAsync(ct);
        }

        var source = new SynthesisRunSampleSource(new SynthesisSampleReader(database), runId);
        var samples = await source.LoadAsync(ct);

        Assert.Equal(2, samples.Count);
        Assert.Equal("docs + question 0", Assert.Single(samples[0].Prompt).Content);
        Assert.Equal("answer 0", samples[0].Response);
        Assert.True(samples[0].IsLong);
        Assert.False(samples[1].IsLong);
        Assert.Equal(new PromptSpan(0, 0, "docs + ".Length), samples[0].Documents); // the input before its instruction
        Assert.Null(samples[1].Documents); // a long-output input is its instruction: never cut
        Assert.Equal($"synthesis run #{runId}", source.Name);
    }

    [Theory]
    [InlineData("12", 12, 1.0)]
    [InlineData("#7:0.5", 7, 0.5)]
    public void ParseSynthesisRun_IdAndWeight(string text, long id, double weight) =>
        Assert.Equal(new SynthesisDataSpec(id, weight), TrainingRunSpec.ParseSynthesisRun(text));

    [Fact]
    public void ParseSynthesisRun_NotAnId_SaysWhatToWrite() =>
        Assert.Contains("ID:WEIGHT", Assert.Throws<ArgumentException>(() => TrainingRunSpec.ParseSynthesisRun("latest")).Message);
}
