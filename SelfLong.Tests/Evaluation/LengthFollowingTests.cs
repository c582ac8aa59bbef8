using System.Text.Json;
using System.Text.RegularExpressions;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.LengthFollowing;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Evaluation;

[NeedsDatabase]
public sealed partial class LengthFollowingTests(AppFixture app)
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("Hello, world!", 2)]
    [InlineData("Don't stop: well-known facts — 42 of them.", 7)]
    [InlineData("## Title\n\n1. One *two*", 4)]
    public void CountWords_Text_RunsOfLettersOrDigits(string text, int expected) => Assert.Equal(expected, LengthFollowingMetrics.CountWords(text));

    [Fact]
    public void Summarize_Outputs_MeanAbsoluteRelativeErrorPerLengthAndPowerFit()
    {
        var outputs = new[] { (100, 50), (100, 150), (400, 200), (1600, 800) }
            .Select((o, i) => new LengthFollowingOutput { RequiredWords = o.Item1, PromptIndex = i, OutputWords = o.Item2 }).ToList();

        var summary = LengthFollowingMetrics.Summarize(outputs);

        Assert.Equal(0.5, summary.MeanAbsoluteRelativeError!.Value, 9);
        Assert.Equal([(100, 2, 100.0, 0.5), (400, 1, 200.0, 0.5), (1600, 1, 800.0, 0.5)],
            summary.Points.Select(p => (p.RequiredWords, p.Outputs, p.MeanWords, p.MeanAbsoluteRelativeError)));
        // log-log least squares over (100, 50), (100, 150), (400, 200), (1600, 800).
        var xs = outputs.Select(o => Math.Log(o.RequiredWords)).ToArray();
        var ys = outputs.Select(o => Math.Log(o.OutputWords)).ToArray();
        var slope = xs.Zip(ys).Sum(p => (p.First - xs.Average()) * (p.Second - ys.Average())) / xs.Sum(x => Math.Pow(x - xs.Average(), 2));
        Assert.Equal(slope, summary.FitExponent!.Value, 9);
        Assert.Equal(Math.Exp(ys.Average() - slope * xs.Average()), summary.FitScale!.Value, 9);
        Assert.Null(LengthFollowingMetrics.Summarize(outputs.Take(2).ToList()).FitExponent);
    }

    [Fact]
    public async Task Run_ScriptedServer_StoresEveryOutputAndSkipsLengthsPastTheMaximum()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = FourFifths;
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateLengthFollowingAsync($"lf-{Guid.NewGuid():N}", NiahTests.Target(server, maxLength: 4096),
            new LengthFollowingSettings { RequiredWords = [400, 100, 200, 3000], PromptsPerLength = 2 }, ct);

        run = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);
        var outputs = await evaluations.LengthFollowingOutputsAsync(run.Id, ct);

        // 3000 words need 128 + 6032 tokens of context, past the 4096 the target takes.
        Assert.Equal((6, 6, 6), (run.TotalItems, run.DoneItems, server.RequestCount));
        Assert.Equal([100, 100, 200, 200, 400, 400], outputs.Select(o => o.RequiredWords));
        Assert.All(outputs, o =>
        {
            Assert.Equal(o.RequiredWords * 4 / 5, o.OutputWords);
            Assert.Equal(o.RequiredWords * 2 + 32, o.MaxNewTokens);
            Assert.Contains($"must be {o.RequiredWords} words long", o.Prompt);
            Assert.Equal(LengthFollowingMetrics.CountWords(o.Output), o.OutputWords);
        });
        Assert.NotEqual(outputs[0].Prompt, outputs[1].Prompt);
        Assert.Equal(outputs.Select(o => o.MaxNewTokens).Order(), server.Requests.Select(r => r["max_tokens"]!.GetValue<int>()).Order());
        var summary = LengthFollowingMetrics.Summarize(outputs);
        Assert.Equal(0.2, summary.MeanAbsoluteRelativeError!.Value, 9);
        Assert.Equal(1.0, summary.FitExponent!.Value, 9);
        Assert.Equal(0.8, summary.FitScale!.Value, 9);
    }

    [Fact]
    public async Task Run_CancelledThenResumed_AsksEachOutputOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = FourFifths;
        server.Latency = TimeSpan.FromMilliseconds(500);
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateLengthFollowingAsync($"lf-resume-{Guid.NewGuid():N}", NiahTests.Target(server, maxLength: 4096),
            new LengthFollowingSettings { RequiredWords = [100, 200, 400, 800], PromptsPerLength = 6 }, ct);

        while ((await evaluations.FindAsync(run.Id, ct))!.DoneItems < 3) await Task.Delay(100, ct);
        Assert.True(await evaluations.CancelAsync(run.Id, ct));
        var cancelled = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Cancelled, ct);
        Assert.InRange(cancelled.DoneItems, 3, 23);

        server.Latency = TimeSpan.Zero;
        Assert.True(await evaluations.ResumeAsync(run.Id, ct));
        var finished = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);
        var outputs = await evaluations.LengthFollowingOutputsAsync(run.Id, ct);
        Assert.Equal((24, 24), (outputs.Count, finished.DoneItems));
        Assert.Equal(24, outputs.Select(o => (o.RequiredWords, o.PromptIndex)).Distinct().Count());
        // Requests cut off by the cancel are the only ones sent twice.
        Assert.InRange(server.RequestCount, 24, 24 + 4);
    }

    [Fact]
    public async Task Create_NothingWithinReachOrBadSettings_RefusedWithReason()
    {
        var ct = TestContext.Current.CancellationToken;
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var target = new EvaluationTargetRequest(EvaluationTargetKind.OpenAiCompletions, "http://127.0.0.1:9/v1", "m", null, "none", 1000);

        var far = await Assert.ThrowsAsync<ArgumentException>(() =>
            evaluations.CreateLengthFollowingAsync("lf-far", target, new LengthFollowingSettings { RequiredWords = [1000, 2000] }, ct));
        Assert.Contains("Asking for 1000 words takes 2160 tokens of context", far.Message);
        Assert.Contains("maximum length of 1000", far.Message);
        var prompts = await Assert.ThrowsAsync<ArgumentException>(() =>
            evaluations.CreateLengthFollowingAsync("lf-prompts", target, new LengthFollowingSettings { RequiredWords = [100], PromptsPerLength = 0 }, ct));
        Assert.Contains("Prompts per length must be between 1 and 12", prompts.Message);
        var words = await Assert.ThrowsAsync<ArgumentException>(() =>
            evaluations.CreateLengthFollowingAsync("lf-words", target, new LengthFollowingSettings { RequiredWords = [5] }, ct));
        Assert.Contains("word counts from 10", words.Message);
    }

    [Fact]
    public async Task EvalLengthFollowingVerb_Wait_PrintsErrorPerLengthAsJson()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = FourFifths;

        var (code, stdout, stderr) = await PerplexityEvaluationTests.SelfLongAsync(app,
            ["eval", "length-following", "--url", server.V1, "--model", "m", "--template", "none", "--max-length", "4096", "--lengths", "100,250", "--prompts", "1", "--wait"], ct);

        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("Succeeded", root.GetProperty("status").GetString());
        Assert.Equal(2, root.GetProperty("outputs").GetInt32());
        Assert.Equal(0.2, root.GetProperty("mean_absolute_relative_error").GetDouble(), 9);
        Assert.Equal([(100, 80.0), (250, 200.0)],
            root.GetProperty("by_length").EnumerateArray().Select(p => (p.GetProperty("required_words").GetInt32(), p.GetProperty("mean_words").GetDouble())));
        Assert.Equal(0, root.GetProperty("cut_at_budget").GetInt32());
    }

    [Fact]
    public async Task EvalNiahVerb_Scoring_ChoosesTheConventionAsTheFormDoes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        // Punctuation glued to the last word: Fu et al.'s script misses "day." where recall finds "day".
        server.CompletionResponder = _ => "Eat a sandwich and sit in Dolores Park on a sunny day.";
        string[] niah = ["eval", "niah", "--url", server.V1, "--model", "m", "--template", "none", "--max-length", "2000", "--lengths", "1000", "--depths", "50", "--wait"];

        var (code, stdout, stderr) = await PerplexityEvaluationTests.SelfLongAsync(app, [.. niah, "--scoring", "FuScript"], ct);

        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(10 / 11.0, root.GetProperty("mean_score").GetDouble(), 6);
        Assert.Equal("Fu et al. script (recall over whitespace-split words)", root.GetProperty("scoring").GetString());
        (code, stdout, _) = await PerplexityEvaluationTests.SelfLongAsync(app, niah, ct);
        Assert.Equal(1.0, JsonDocument.Parse(stdout).RootElement.GetProperty("mean_score").GetDouble(), 6);
        (code, stdout, stderr) = await PerplexityEvaluationTests.SelfLongAsync(app, [.. niah, "--scoring", "Judge"], ct);
        Assert.Equal(2, code);
        Assert.Contains("LLM-judge scoring needs a judge: an endpoint from the table, or a base URL and model.", stderr);
    }

    /// <summary>Answers with four fifths of the words the prompt asks for.</summary>
    internal static string FourFifths(string prompt)
    {
        var words = int.Parse(Required().Match(prompt).Groups[1].Value);
        return string.Join(" ", Enumerable.Range(0, words * 4 / 5).Select(i => i % 7 == 0 ? "River." : "water"));
    }

    [GeneratedRegex(@"must be (\d+) words long")]
    private static partial Regex Required();
}
