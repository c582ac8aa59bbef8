using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Text;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Evaluation;

[NeedsDatabase]
public sealed class NiahTests(AppFixture app)
{
    internal const string FullAnswer = "The best thing to do is eat a sandwich and sit in Dolores Park on a sunny day.";

    [Fact]
    public void DefaultGrid_FuDepthsAndEvenLengths()
    {
        Assert.Equal([0, 11, 22, 33, 44, 56, 67, 78, 89, 100], NiahSettings.DefaultDepths);
        Assert.Equal([1000, 32000, 63000, 94000, 125000, 156000], NiahSettings.EvenLengths(156000, 6));
    }

    [Theory]
    [InlineData(2000, 0)]
    [InlineData(2000, 56)]
    [InlineData(8000, 100)]
    public void Build_PromptFitsLengthWithNeedleNearDepth(int length, int depth)
    {
        var prompt = new NiahPrompt(RulerResources.Create(TiktokenTokenCounter.Default)).Build(length, depth, new NiahSettings());
        var tokens = TiktokenTokenCounter.Default.CountTokens(prompt.Prompt) + TiktokenTokenCounter.Default.CountTokens(prompt.AnswerPrefix);
        Assert.Equal(tokens, prompt.Tokens);
        Assert.InRange(tokens + 50, length * 0.95, length);
        var book = prompt.Prompt[..prompt.Prompt.IndexOf("</book>", StringComparison.Ordinal)];
        var at = book.IndexOf(NiahSettings.FuNeedle, StringComparison.Ordinal) / (double)book.Length;
        Assert.InRange(at, depth / 100.0 - 0.06, depth / 100.0 + 0.06);
    }

    [Fact]
    public async Task NiahRun_ScriptedServer_GivesExpectedHeatmapAndSkipsBeyondMaxLength()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = ScriptedByDepth;
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateNiahAsync($"niah-{Guid.NewGuid():N}", Target(server, maxLength: 3000),
            new NiahSettings { Lengths = [1000, 2000, 3000, 4000], Depths = [0, 33, 67, 100] }, ct);

        run = await WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);
        var cells = await evaluations.NiahCellsAsync(run.Id, ct);

        Assert.Equal(12, run.TotalItems);
        Assert.Equal(12, run.DoneItems);
        Assert.Equal(12, server.RequestCount);
        Assert.DoesNotContain(cells, c => c.ContextLength == 4000);
        foreach (var cell in cells)
        {
            var expected = cell.DepthPercent switch { 0 or 33 => 1.0, 67 => 0.0, _ => 3 / 11.0 };
            Assert.Equal(expected, cell.Score, 6);
            Assert.Equal(64, cell.PromptHash.Length);
            Assert.True(cell.PromptTokens <= cell.ContextLength);
        }
        // The prompts went through /v1/completions with temperature 0 and Fu et al.'s 50 new tokens.
        Assert.All(server.Requests, r => Assert.Equal(50, r["max_tokens"]!.GetValue<int>()));
    }

    [Fact]
    public async Task NiahRun_CancelledThenResumed_ScoresEachCellOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = ScriptedByDepth;
        // Three cells are scored, then the run waits at the server: the cancel always lands mid-run.
        server.HoldAfter(3);
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateNiahAsync($"resume-{Guid.NewGuid():N}", Target(server, maxLength: 4000),
            new NiahSettings { Lengths = [1000, 1500, 2000, 2500, 3000], Depths = [0, 25, 50, 75, 100] }, ct);

        await Poll.UntilAsync(async () => server.Held > 0 && (await evaluations.FindAsync(run.Id, ct))!.DoneItems == 3,
            "three cells scored and the next request held");
        Assert.True(await evaluations.CancelAsync(run.Id, ct));
        var cancelled = await WaitAsync(evaluations, run.Id, RunStatus.Cancelled, ct);
        Assert.Equal(3, cancelled.DoneItems);
        var cutOff = server.RequestCount - 3;

        server.Release();
        Assert.True(await evaluations.ResumeAsync(run.Id, ct));
        var finished = await WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);
        var cells = await evaluations.NiahCellsAsync(run.Id, ct);
        Assert.Equal(25, cells.Count);
        Assert.Equal(25, finished.DoneItems);
        // The resume asks only for the 22 cells not scored; the requests cut off by the cancel are the only repeats.
        Assert.Equal(25 + cutOff, server.RequestCount);
    }

    [Fact]
    public async Task NiahRun_JudgeScoring_StoresJudgeScoreOverTen()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        await using var judge = await OpenAiTestServer.StartAsync();
        // Two different answers: identical judge prompts would let the call cache answer the second.
        var answers = 0;
        server.CompletionResponder = _ => Interlocked.Increment(ref answers) == 1 ? "Probably a sandwich in the park." : "Probably a sandwich in the park, I think.";
        judge.RequiredApiKey = "judge-secret";
        // Kamradt's layout: his system message, then LangChain's scoring template with his rubric and the reference.
        judge.ChatResponder = messages =>
            messages.Count == 2 && messages[0] == ("system", "You are a helpful assistant.")
            && messages[1].Content.Contains("Score 7: The answer aligns with the reference but has minor omissions.")
            && messages[1].Content.Contains($"[Ground truth]\n{NiahSettings.FuAnswer}\n")
            && (messages[1].Content.Contains("[The Start of Assistant's Answer]\nProbably a sandwich in the park.\n[The End of Assistant's Answer]")
                || messages[1].Content.Contains("[The Start of Assistant's Answer]\nProbably a sandwich in the park, I think.\n[The End of Assistant's Answer]"))
                ? "The answer is close but vague. Rating: [[7]]" : "Rating: [[1]]";
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateNiahAsync($"judge-{Guid.NewGuid():N}", Target(server, 4000), new NiahSettings
        {
            Lengths = [1000], Depths = [0, 100], Scoring = NiahScoring.Judge,
            JudgeBaseUrl = judge.V1, JudgeModel = "judge-model", ProtectedJudgeApiKey = evaluations.ProtectApiKey("judge-secret"),
        }, ct);

        run = await WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);
        var cells = await evaluations.NiahCellsAsync(run.Id, ct);
        Assert.Equal(2, cells.Count);
        Assert.All(cells, c => Assert.Equal(0.7, c.Score, 6));
        Assert.Equal(2, judge.RequestCount);
        Assert.Equal(NiahScorer.JudgeTokens, judge.Requests[0]["max_completion_tokens"]!.GetValue<int>());
        // The judge is a row of the endpoints table like any model; its key lives there, protected.
        var judgeId = System.Text.Json.JsonDocument.Parse(run.SettingsJson).RootElement.GetProperty("judgeEndpointId").GetInt64();
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct))
        {
            var row = await db.ModelEndpoints.SingleAsync(e => e.Id == judgeId, ct);
            Assert.Equal((judge.V1, "judge-model"), (row.BaseUrl, row.Model));
            Assert.Equal("judge-secret", app.Services.GetRequiredService<SelfLong.Jobs.Endpoints.EndpointSecrets>().Unprotect(row.ProtectedApiKey));
            Assert.NotNull((await db.EvaluationRuns.SingleAsync(r => r.Id == run.Id, ct)).EndpointId);
        }
        Assert.Equal("Kamradt (LLM judge with his 1-10 rubric)", SelfLong.Web.Features.Evaluation.EvaluationViews.NiahSettingsOf(run).Convention);
        Assert.DoesNotContain("judge-secret", run.SettingsJson);
    }

    [Fact]
    public async Task WorkerStopsMidRun_RunWaitsQueuedAndItsNextJobFinishesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = ScriptedByDepth;
        server.HoldAfter(2);
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        // Worked here, as a command-line verb does: the job's token is this worker's.
        var run = await evaluations.CreateNiahAsync($"stop-{Guid.NewGuid():N}", Target(server, maxLength: 2000),
            new NiahSettings { Lengths = [1000, 2000], Depths = [0, 50, 100] }, ct, enqueue: false);
        using var worker = new CancellationTokenSource();
        var job = app.Services.GetRequiredService<EvaluationJob>().RunAsync(run.Id, worker.Token);
        await Poll.UntilAsync(() => Task.FromResult(server.Held > 0), "a request held after two answers");

        await worker.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job);
        var waiting = (await evaluations.FindAsync(run.Id, ct))!;
        Assert.Equal(RunStatus.Queued, waiting.Status);
        Assert.Equal(SelfLong.Jobs.Runs.RunControl.InterruptedMessage, waiting.Message);
        Assert.Null(waiting.CompletedAt);

        server.Release();
        await app.Services.GetRequiredService<EvaluationJob>().RunAsync(run.Id, ct);
        var done = (await evaluations.FindAsync(run.Id, ct))!;
        Assert.Equal(RunStatus.Succeeded, done.Status);
        Assert.Equal(6, done.DoneItems);
    }

    /// <summary>Full answer when the needle is in the first half of the book, a partial one at the very end, none otherwise.</summary>
    private static string ScriptedByDepth(string prompt)
    {
        var book = prompt[..prompt.IndexOf("</book>", StringComparison.Ordinal)];
        var at = book.IndexOf(NiahSettings.FuNeedle, StringComparison.Ordinal) / (double)book.Length;
        return at < 0.5 ? FullAnswer : at > 0.9 ? "Eat a sandwich." : "The book does not say.";
    }

    internal static EvaluationTargetRequest Target(OpenAiTestServer server, int maxLength) =>
        new(EvaluationTargetKind.OpenAiCompletions, server.V1, "test-model", "sk-test-secret", "none", maxLength, TrainingLength: 2000);

    internal static async Task<EvaluationRun> WaitAsync(EvaluationService evaluations, long id, RunStatus status, CancellationToken ct)
    {
        var run = await Poll.UntilAsync(async () => (await evaluations.FindAsync(id, ct))!,
            r => r.Status == status || r.Status == RunStatus.Failed && status != RunStatus.Failed, $"evaluation run {id} to be {status}",
            describe: r => $"{r.Status}, {r.DoneItems} done");
        Assert.True(run.Status == status, $"Run is {run.Status}, expected {status}: {run.Message}");
        return run;
    }
}
