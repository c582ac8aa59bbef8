using System.Text.Json;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>
/// API keys are "never shown, logged or exported": a verb that calls endpoints with keys, logging at
/// its most detailed level (HTTP requests included), is run as its own process and its whole output is
/// searched for the keys. The endpoint key comes from configuration, the judge's from its variable.
/// </summary>
[NeedsDatabase]
public sealed class ApiKeyLogTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private const string TargetKey = "sk-target-7f3a9c1e5b";
    private const string JudgeKey = "sk-judge-2d8e4b6f0a";
    private const string BadEntryKey = "sk-unused-9c4e1a7b3d";

    [Fact]
    public async Task EvalWithKeyedTargetAndJudge_TraceLogging_NeitherKeyInTheOutput()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var target = await OpenAiTestServer.StartAsync();
        await using var judge = await OpenAiTestServer.StartAsync();
        target.RequiredApiKey = TargetKey;
        judge.RequiredApiKey = JudgeKey;
        target.CompletionResponder = _ => $"The best thing to do is {NiahSettings.FuAnswer}.";
        judge.ChatResponder = _ => "Rating: [[10]]";

        var eval = await RunAsync(database, target, TargetKey, "--scoring", "Judge", "--judge-url", judge.V1, "--judge-model", "judge-model");

        // The keys were used: both servers answered, which they do only to their own key.
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.Equal("Succeeded", JsonDocument.Parse(eval.Output).RootElement.GetProperty("status").GetString());
        Assert.Equal(1.0, JsonDocument.Parse(eval.Output).RootElement.GetProperty("mean_score").GetDouble(), 6);
        Assert.Equal(2, target.RequestCount);
        Assert.Equal(2, judge.RequestCount);
        AssertLoggedWithoutKeys(eval);
    }

    [Fact]
    public async Task EvalWithRefusedKey_FailureLogged_KeyNotInTheOutput()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var target = await OpenAiTestServer.StartAsync();
        target.RequiredApiKey = "sk-the-server-wants-another";

        var eval = await RunAsync(database, target, TargetKey);

        // The refusal is reported (a refused key is not retried), and the key sent is nowhere in it.
        Assert.True(target.RequestCount >= 1);
        Assert.Contains("Failed", eval.Output + eval.Error);
        AssertLoggedWithoutKeys(eval);
    }

    private static Task<CliResult> RunAsync(TestDatabase database, OpenAiTestServer target, string targetKey, params string[] more) =>
        CliProcess.RunWithEnvironmentAsync(database.ConnectionString, Limit, new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Trace",
            ["SelfLong__ModelEndpoints__0__Name"] = "keyed",
            ["SelfLong__ModelEndpoints__0__BaseUrl"] = target.V1,
            ["SelfLong__ModelEndpoints__0__Model"] = "test-model",
            ["SelfLong__ModelEndpoints__0__ApiKey"] = targetKey,
            // An entry that does not validate is logged with its errors: its key must not be among them.
            ["SelfLong__ModelEndpoints__1__Name"] = "no-address",
            ["SelfLong__ModelEndpoints__1__Model"] = "test-model",
            ["SelfLong__ModelEndpoints__1__ApiKey"] = BadEntryKey,
            ["SELFLONG_JUDGE_API_KEY"] = JudgeKey,
        }, ["--verbose", "eval", "niah", "--endpoint", "keyed", "--template", "none", "--lengths", "1k", "--depths", "0,100",
            "--max-length", "4k", "--wait", .. more]);

    private static void AssertLoggedWithoutKeys(CliResult eval)
    {
        // The capture is real: the HTTP calls to the endpoint are in the trace log.
        Assert.Contains("System.Net.Http.HttpClient", eval.Error);
        Assert.Contains("no-address", eval.Error);
        foreach (var key in new[] { TargetKey, JudgeKey, BadEntryKey })
        {
            Assert.DoesNotContain(key, eval.Error);
            Assert.DoesNotContain(key, eval.Output);
        }
    }
}
