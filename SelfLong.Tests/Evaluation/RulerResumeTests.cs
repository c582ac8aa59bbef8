using System.Text.RegularExpressions;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Evaluation;
using SelfLong.Tests.Infrastructure;
using SelfLong.Tests.Synthesis;

namespace SelfLong.Tests.Evaluation;

/// <summary>A RULER run with its essay haystack from a corpus, cancelled mid-run and resumed.</summary>
[NeedsDatabase]
public sealed partial class RulerResumeTests(AppFixture app)
{
    [Fact]
    public async Task Ruler_CorpusHaystackCancelAndResume_ScoresEverySampleOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var (corpusId, _) = await app.HandMadeAsync();
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = prompt => Needle().Match(prompt) is { Success: true } m ? $" {m.Groups[1].Value}." : " I cannot tell.";
        // Two samples are scored, then the run waits at the server: the cancel always lands mid-run.
        server.HoldAfter(2);
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateRulerAsync($"ruler-resume-{Guid.NewGuid():N}", NiahTests.Target(server, 4096),
            new RulerSettings { Tasks = ["niah_single_2"], Lengths = [4096], Samples = 6, HaystackCorpusId = corpusId }, ct);

        await Poll.UntilAsync(async () => server.Held > 0 && (await evaluations.FindAsync(run.Id, ct))!.DoneItems == 2,
            "two samples scored and the next request held");
        Assert.True(await evaluations.CancelAsync(run.Id, ct));
        var cancelled = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Cancelled, ct);
        Assert.Equal(2, cancelled.DoneItems);
        var before = (await evaluations.RulerSamplesAsync(run.Id, ct)).ToDictionary(s => s.Index, s => (s.PromptHash, s.CompletedAt));
        Assert.Equal(2, before.Count);
        var cutOff = server.RequestCount - 2;

        server.Release();
        Assert.True(await evaluations.ResumeAsync(run.Id, ct));
        var finished = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);

        var samples = await evaluations.RulerSamplesAsync(run.Id, ct);
        Assert.Equal(6, finished.DoneItems);
        Assert.Equal([0, 1, 2, 3, 4, 5], samples.Select(s => s.Index).Order());
        Assert.All(samples, s => Assert.Equal(1.0, s.Score));
        // The two stored before the cancel are kept as they were; only the other four were asked again.
        Assert.All(before, b => Assert.Equal(b.Value, samples.Where(s => s.Index == b.Key).Select(s => (s.PromptHash, s.CompletedAt)).Single()));
        Assert.Equal(6 + cutOff, server.RequestCount);
        // The haystack is the corpus's prose, not the bundled essays.
        Assert.All(server.Requests.Select(r => r["prompt"]!.GetValue<string>()), p =>
        {
            Assert.Contains("Fresnel lenses made lighthouse beams visible", p);
            Assert.DoesNotContain("Call me Ishmael", p);
        });
    }

    [GeneratedRegex(@"special magic numbers? for [a-z]+-[a-z]+ is: (\d{7})\.")]
    private static partial Regex Needle();
}
