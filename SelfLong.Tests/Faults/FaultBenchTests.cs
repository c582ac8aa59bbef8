using System.Text.Json;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Faults;

/// <summary>The fault bench's process scenarios as a user runs them: `bench faults --only ...`, real worker processes killed.</summary>
[NeedsDatabase]
public sealed class FaultBenchTests
{
    [Fact]
    public async Task KillMidSynthesis_RunEndsSucceededWithNoSampleLostOrDoubled()
    {
        var result = await CliProcess.RunAsync(TestPostgres.AdminConnectionString, TimeSpan.FromMinutes(15), "bench", "faults", "--only", "kill_mid_synthesis");

        Assert.True(result.ExitCode == 0, result.Error);
        var outcome = JsonDocument.Parse(result.Output).RootElement.GetProperty("kill_mid_synthesis");
        // The workers' logs come through the bench's standard error: the last of them say why a run did not end.
        Assert.True(outcome.GetProperty("status").GetString() == "Succeeded", $"{outcome}\n{Tail(result.Error)}");
        Assert.True(outcome.GetProperty("detail").GetProperty("killed_at_samples").GetInt32() < outcome.GetProperty("expected").GetInt32(),
            "the worker was killed only after the run had finished");
        Assert.Equal(outcome.GetProperty("expected").GetInt32(), outcome.GetProperty("done").GetInt32());
        Assert.Equal(0, outcome.GetProperty("lost").GetInt32());
        Assert.Equal(0, outcome.GetProperty("doubled").GetInt32());
    }

    [Fact]
    public async Task KillMidTraining_RunEndsSucceededWithEveryStepStoredOnce()
    {
        var result = await CliProcess.RunAsync(TestPostgres.AdminConnectionString, TimeSpan.FromMinutes(15), "bench", "faults", "--only", "kill_mid_training");

        Assert.True(result.ExitCode == 0, result.Error);
        var outcome = JsonDocument.Parse(result.Output).RootElement.GetProperty("kill_mid_training");
        Assert.True(outcome.GetProperty("status").GetString() == "Succeeded", $"{outcome}\n{Tail(result.Error)}");
        // Killed while held after a step past the last checkpoint: the steps in between are stored by the first worker or from the checkpoint.
        Assert.InRange(outcome.GetProperty("detail").GetProperty("killed_at_step").GetInt32(), 1, outcome.GetProperty("expected").GetInt32() - 1);
        Assert.True(outcome.GetProperty("lost").GetInt32() == 0, outcome.ToString());
        Assert.Equal(0, outcome.GetProperty("doubled").GetInt32());
    }

    [Fact]
    public async Task PostgresStoppedMidTraining_RunEndsSucceededAndSaysWherePostgresStopped()
    {
        var result = await CliProcess.RunAsync(TestPostgres.AdminConnectionString, TimeSpan.FromMinutes(15), "bench", "faults", "--only", "postgres_stopped_training");

        Assert.True(result.ExitCode == 0, result.Error);
        var outcome = JsonDocument.Parse(result.Output).RootElement.GetProperty("postgres_stopped_10s").GetProperty("training");
        Assert.Equal("Succeeded", outcome.GetProperty("status").GetString());
        // The detail names the fault this scenario injects, not the kill scenario's.
        var detail = outcome.GetProperty("detail");
        Assert.False(detail.TryGetProperty("killed_at_step", out _), detail.ToString());
        // 0: the worker never held the run, so the fault landed when it liked (or after the run).
        Assert.InRange(detail.GetProperty("postgres_stopped_at_step").GetInt32(), 1, outcome.GetProperty("expected").GetInt32() - 1);
        Assert.Equal(0, outcome.GetProperty("lost").GetInt32());
        Assert.Equal(0, outcome.GetProperty("doubled").GetInt32());
    }

    private static string Tail(string text) => text.Length <= 8_000 ? text : text[^8_000..];
}
