using System.Text.Json;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Evaluation;

/// <summary>
/// `./selflong eval niah|ruler --wait` run as the built command line against the test server: the run is
/// worked in that process, and standard output is the one JSON result (logs go to standard error).
/// </summary>
[NeedsDatabase]
public sealed class EvalCommandTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task EvalNiahWait_ModelThatAlwaysAnswers_PrintsOnlyTheResultWithMeanScoreOne()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = _ => $"The best thing to do is {NiahSettings.FuAnswer}.";

        var eval = await CliProcess.RunAsync(database.ConnectionString, Limit, "eval", "niah", "--url", server.V1, "--model", "test-model",
            "--template", "none", "--lengths", "1k,2k", "--depths", "0,50,100", "--max-length", "4k", "--wait", "--name", "cli niah");

        Assert.True(eval.ExitCode == 0, eval.Error);
        var result = JsonDocument.Parse(eval.Output).RootElement;
        Assert.Equal("Succeeded", result.GetProperty("status").GetString());
        Assert.Equal(1.0, result.GetProperty("mean_score").GetDouble(), 6);
        // Two lengths by three depths, one completion each.
        Assert.Equal(6, server.RequestCount);
        Assert.All(server.Requests, r => Assert.Contains(NiahSettings.FuNeedle, r["prompt"]!.GetValue<string>()));
    }

    [Fact]
    public async Task EvalRulerWait_OneTaskOneLength_PrintsOnlyTheSummaryForThatLength()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var server = await OpenAiTestServer.StartAsync();

        var eval = await CliProcess.RunAsync(database.ConnectionString, Limit, "eval", "ruler", "--url", server.V1, "--model", "test-model",
            "--template", "none", "--tasks", "niah_single_1", "--lengths", "4k", "--samples", "3", "--max-length", "8k", "--wait");

        Assert.True(eval.ExitCode == 0, eval.Error);
        var result = JsonDocument.Parse(eval.Output).RootElement;
        Assert.Equal("Succeeded", result.GetProperty("status").GetString());
        Assert.Equal([4096], result.GetProperty("lengths").EnumerateArray().Select(l => l.GetInt32()));
        // The server answers with a digest, never the planted number: every sample scores 0.
        Assert.Equal(0.0, result.GetProperty("average").EnumerateArray().Single().GetDouble(), 6);
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public async Task EvalNiah_UnreadableLengths_RefusedWithExitTwoAndNoRun()
    {
        await using var database = await TestDatabase.CreateAsync();

        var eval = await CliProcess.RunAsync(database.ConnectionString, Limit, "eval", "niah", "--url", "http://127.0.0.1:9/v1", "--model", "m",
            "--lengths", "lots");

        Assert.NotEqual(0, eval.ExitCode);
        Assert.Contains("lots", eval.Error);
        Assert.Empty(eval.Output);
        await using var command = database.DataSource.CreateCommand("SELECT count(*) FROM evaluation_runs");
        Assert.Equal(0L, await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }
}
