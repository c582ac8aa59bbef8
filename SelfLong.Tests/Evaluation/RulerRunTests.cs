using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Evaluation;

[NeedsDatabase]
public sealed partial class RulerRunTests(AppFixture app)
{
    [Fact]
    public async Task RulerRun_ScriptedServer_ScoresTasksAndKeepsKeyProtected()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.RequiredApiKey = "sk-test-secret";
        // Answers niah from the planted needle; gives up on variable tracking.
        server.CompletionResponder = prompt => Needle().Match(prompt) is { Success: true } m ? $" {m.Groups[1].Value}." : " I cannot tell.";
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateRulerAsync($"ruler-{Guid.NewGuid():N}", NiahTests.Target(server, 8192) with { ChatTemplate = "llama-3" },
            new RulerSettings { Tasks = ["niah_single_1", "vt"], Lengths = [4096, 16384], Samples = 3 }, ct);

        run = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);
        var summary = await evaluations.RulerSummaryAsync(run.Id, ct);

        Assert.Equal(6, run.TotalItems);
        Assert.Equal([4096], summary.Lengths);
        Assert.Equal(100.0, summary.Scores[("niah_single_1", 4096)]);
        Assert.Equal(0.0, summary.Scores[("vt", 4096)]);
        Assert.Equal(50.0, summary.AverageByLength[0]);
        // The chat template was applied by SelfLong, with the answer prefix after the assistant header.
        var prompt = server.Requests[0]["prompt"]!.GetValue<string>();
        Assert.StartsWith("<|begin_of_text|><|start_header_id|>user<|end_header_id|>", prompt);
        Assert.Matches(@"<\|start_header_id\|>assistant<\|end_header_id\|>\n\n( The special magic number| Answer: According)", prompt);
        // Each sample was sized with the template's tokens reserved.
        var samples = await evaluations.RulerSamplesAsync(run.Id, ct);
        Assert.All(samples, s => Assert.True(s.PromptTokens + RulerTask.Find(s.Task).TokensToGenerate <= 4096));
        var options = new DbContextOptionsBuilder<SelfLongDbContext>();
        DataExtensions.Configure(options, app.ConnectionString);
        await using var db = new SelfLongDbContext(options.Options);
        // The key lives with the run's endpoint row, protected; the run itself holds none.
        var stored = await db.EvaluationRuns.SingleAsync(r => r.Id == run.Id, ct);
        Assert.Null(stored.ProtectedApiKey);
        var endpoint = await db.ModelEndpoints.SingleAsync(e => e.Id == stored.EndpointId, ct);
        Assert.NotNull(endpoint.ProtectedApiKey);
        Assert.DoesNotContain("sk-test-secret", endpoint.ProtectedApiKey);
    }

    [Fact]
    public async Task RulerRun_ChatTarget_PrefillsAnswerPrefixAndRecordsLayout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.ChatResponder = messages => Needle().Match(messages[0].Content) is { Success: true } m ? $" {m.Groups[1].Value}." : " no";
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateRulerAsync($"ruler-chat-{Guid.NewGuid():N}",
            NiahTests.Target(server, 8192) with { Kind = EvaluationTargetKind.OpenAiChat },
            new RulerSettings { Tasks = ["niah_single_1"], Lengths = [4096], Samples = 2 }, ct);

        run = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);

        Assert.Equal(100.0, (await evaluations.RulerSummaryAsync(run.Id, ct)).Scores[("niah_single_1", 4096)]);
        Assert.Equal("answer prefix prefilled as the assistant message (continue_final_message)", run.PromptLayout);
        var sample = server.Requests[^1]["messages"]!.AsArray();
        Assert.Equal("assistant", sample[^1]!["role"]!.GetValue<string>());
        Assert.StartsWith(" The special magic number for", sample[^1]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateRuler_RequireAllTasksWithOneLeftOut_RefusedWithReason()
    {
        var ct = TestContext.Current.CancellationToken;
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        await using var server = await OpenAiTestServer.StartAsync();
        var name = $"all-{Guid.NewGuid():N}";

        var error = await Assert.ThrowsAsync<ArgumentException>(() => evaluations.CreateRulerAsync(name, NiahTests.Target(server, 8192),
            new RulerSettings { Tasks = [.. RulerTask.All.Select(t => t.Name).Where(t => t != "fwe")], RequireAllTasks = true }, ct));

        Assert.Contains("requires all 13 RULER tasks, but fwe is not selected", error.Message);
        Assert.DoesNotContain(await evaluations.ListAsync(0, 500, ct), r => r.Name == name);
    }

    [Fact]
    public async Task RulerRun_ServerTokenizer_SizesPromptsInTheServersTokensAndExportsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        var sent = new System.Collections.Concurrent.ConcurrentBag<string>();
        server.CompletionResponder = prompt => { sent.Add(prompt); return " no"; };
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateRulerAsync($"ruler-server-tok-{Guid.NewGuid():N}", NiahTests.Target(server, 8192) with { Tokenizer = "server" },
            new RulerSettings { Tasks = ["niah_single_1", "fwe"], Lengths = [4096], Samples = 2 }, ct);

        run = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);

        Assert.Contains("/tokenize", run.SizedWith);
        Assert.Equal("server", run.Tokenizer);
        // Every prompt sent (template "none": input then answer prefix) is within 2 % of 4096 in the server's tokens.
        Assert.Equal(4, sent.Count);
        Assert.All(sent, p => Assert.InRange(OpenAiTestServer.ServerTokens(p), 4096 * 0.98 - 128, 4096));
        var samples = await evaluations.RulerSamplesAsync(run.Id, ct);
        Assert.All(samples, s => Assert.InRange(s.PromptTokens + RulerTask.Find(s.Task).TokensToGenerate, 4096 * 0.98, 4096));
        var csv = await app.Services.GetRequiredService<RulerPredictions>().SummaryCsvAsync(run.Id, ct);
        Assert.Contains("tokenizer,server", csv);
        Assert.Contains("sized_with,\"the server's own tokenizer (http://127.0.0.1:", csv);
    }

    [Fact]
    public async Task CreateRuler_ServerTokenizerWithoutRoute_RefusedWhereChosen()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.ServesTokenize = false;
        var evaluations = app.Services.GetRequiredService<EvaluationService>();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => evaluations.CreateRulerAsync($"no-route-{Guid.NewGuid():N}",
            NiahTests.Target(server, 8192) with { Tokenizer = "server" }, new RulerSettings { Tasks = ["vt"], Lengths = [4096], Samples = 1 }, ct));

        Assert.Contains("/tokenize answered 404", error.Message);
        Assert.Contains("choose a tokenizer folder or name", error.Message);
    }

    [Fact]
    public async Task RulerRun_TokenizerFolder_SizesPromptsWithThatTokenizer()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("selflong-eval-tok-").FullName;
        try
        {
            // A tiktoken-format tokenizer.model: one token per byte plus a merge of "he"; about a byte per token.
            File.WriteAllLines(Path.Combine(dir, "tokenizer.model"), Enumerable.Range(0, 256)
                .Select(b => $"{Convert.ToBase64String([(byte)b])} {b}").Append($"{Convert.ToBase64String("he"u8.ToArray())} 256"));
            var tokenizer = SelfLong.Jobs.Models.Llama3Tokenizer.Load(dir);
            await using var server = await OpenAiTestServer.StartAsync();
            var sent = new System.Collections.Concurrent.ConcurrentBag<string>();
            server.CompletionResponder = prompt => { sent.Add(prompt); return " no"; };
            var evaluations = app.Services.GetRequiredService<EvaluationService>();
            var run = await evaluations.CreateRulerAsync($"ruler-folder-tok-{Guid.NewGuid():N}", NiahTests.Target(server, 8192) with { Tokenizer = dir },
                new RulerSettings { Tasks = ["vt"], Lengths = [8192], Samples = 1 }, ct);

            run = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);

            Assert.Equal(tokenizer.Name, run.SizedWith);
            var prompt = Assert.Single(sent);
            Assert.InRange(tokenizer.CountTokens(prompt), 8192 * 0.98 - 30, 8192 - 30);
            // The same prompt in cl100k_base is far shorter: the folder's tokenizer sized it.
            Assert.True(SelfLong.Jobs.Text.TiktokenTokenCounter.Default.CountTokens(prompt) < 5000);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [GeneratedRegex(@"special magic numbers? for [a-z]+-[a-z]+ is: (\d{7})\.")]
    private static partial Regex Needle();
}
