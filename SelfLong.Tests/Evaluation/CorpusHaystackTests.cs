using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Tests.Infrastructure;
using SelfLong.Tests.Synthesis;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Evaluation;

[NeedsDatabase]
public sealed class CorpusHaystackTests(AppFixture app)
{
    private const string HandMadeSentence = "The toggling harpoon was invented by Lewis Temple in 1848.";

    [Fact]
    public async Task LoadAsync_IngestedCorpus_GivesItsSentencesInOrder()
    {
        var (corpusId, name) = await app.HandMadeAsync();
        var source = app.Services.GetRequiredService<IHaystackSource>();

        var (label, sentences) = await source.LoadAsync(corpusId, TestContext.Current.CancellationToken);

        Assert.Contains(name, label);
        Assert.Contains(HandMadeSentence, sentences);
        Assert.All(sentences, s => Assert.False(string.IsNullOrWhiteSpace(s)));
    }

    [Fact]
    public async Task NiahRun_CorpusHaystack_PromptsAreBuiltFromTheCorpus()
    {
        var ct = TestContext.Current.CancellationToken;
        var (corpusId, _) = await app.HandMadeAsync();
        await using var server = await OpenAiTestServer.StartAsync();
        var evaluations = app.Services.GetRequiredService<EvaluationService>();

        var run = await evaluations.CreateNiahAsync($"corpus-haystack-{Guid.NewGuid():N}", NiahTests.Target(server, maxLength: 1500),
            new NiahSettings { Lengths = [1000], Depths = [50], HaystackCorpusId = corpusId }, ct);
        await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);

        var prompt = Assert.Single(server.Requests)["prompt"]!.GetValue<string>();
        Assert.Contains("Lewis Temple", prompt);
        Assert.Contains(NiahSettings.FuNeedle, prompt);
        Assert.DoesNotContain("Call me Ishmael", prompt);
    }
}
