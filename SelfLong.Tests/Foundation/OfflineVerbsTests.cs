using System.Text.Json;
using SelfLong.Jobs.Cli;
using SelfLong.Jobs.Hosting;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Foundation;

/// <summary>
/// The verbs that answer without a database (`help`, `check`, a refused `worker --queues`), run as the
/// built command line. The connection string points at nothing: reaching for it would fail the test.
/// </summary>
public sealed class OfflineVerbsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private const string NoDatabase = "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none;Timeout=2";

    [Fact]
    public async Task Help_ListsEveryVerbTheHostAnswers()
    {
        var help = await CliProcess.RunAsync(NoDatabase, Limit, "--help");

        Assert.True(help.ExitCode == 0, help.Error);
        Assert.Contains("SelfLong: bootstrap your own context length.", help.Output);
        var commands = help.Output[help.Output.IndexOf("Commands:", StringComparison.Ordinal)..];
        foreach (var verb in SelfLongCommands.All().Select(c => c.Name))
            Assert.Matches($@"(?m)^\s+{verb}\b", commands);
        Assert.Contains("--verbose", help.Output);
    }

    [Fact]
    public async Task Check_TorchSelfTest_PrintsOneJsonObjectWithTheDeviceAndAnErrorWithinTolerance()
    {
        var check = await CliProcess.RunAsync(NoDatabase, Limit, "check");

        Assert.True(check.ExitCode == 0, check.Error);
        var result = JsonDocument.Parse(check.Output).RootElement;
        Assert.True(result.GetProperty("ok").GetBoolean());
        Assert.InRange(result.GetProperty("max_abs_error").GetDouble(), 0, SelfLong.Jobs.SystemChecks.SystemCheckJob.Tolerance);
        Assert.False(string.IsNullOrWhiteSpace(result.GetProperty("device").GetString()));
    }

    [Fact]
    public async Task Worker_UnknownQueue_RefusedWithTheKnownQueues()
    {
        var worker = await CliProcess.RunAsync(NoDatabase, Limit, "worker", "--queues", "training,nonsense");

        Assert.Equal(2, worker.ExitCode);
        Assert.Contains($"Unknown queue(s): nonsense. Known: {string.Join(", ", JobQueues.All)}.", worker.Error);
        Assert.Empty(worker.Output);
    }
}
