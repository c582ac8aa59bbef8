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
        var outcome = await SucceededAsync("kill_mid_synthesis", "kill_mid_synthesis");

        Assert.True(outcome.GetProperty("detail").GetProperty("killed_at_samples").GetInt32() < outcome.GetProperty("expected").GetInt32(),
            "the worker was killed only after the run had finished");
        Assert.Equal(outcome.GetProperty("expected").GetInt32(), outcome.GetProperty("done").GetInt32());
        AssertNoneLostOrDoubled(outcome);
    }

    [Fact]
    public async Task KillMidTraining_RunEndsSucceededWithEveryStepStoredOnce()
    {
        var outcome = await SucceededAsync("kill_mid_training", "kill_mid_training");

        // Killed while held after a step past the last checkpoint: the steps in between are stored by the first worker or from the checkpoint.
        Assert.InRange(outcome.GetProperty("detail").GetProperty("killed_at_step").GetInt32(), 1, outcome.GetProperty("expected").GetInt32() - 1);
        AssertNoneLostOrDoubled(outcome);
    }

    [Fact]
    public async Task PostgresStoppedMidTraining_RunEndsSucceededAndSaysWherePostgresStopped()
    {
        var outcome = await SucceededAsync("postgres_stopped_training", "postgres_stopped_10s", "training");

        // The detail names the fault this scenario injects, not the kill scenario's.
        var detail = outcome.GetProperty("detail");
        Assert.False(detail.TryGetProperty("killed_at_step", out _), detail.ToString());
        // 0: the worker never held the run, so the fault landed when it liked (or after the run).
        Assert.InRange(detail.GetProperty("postgres_stopped_at_step").GetInt32(), 1, outcome.GetProperty("expected").GetInt32() - 1);
        AssertNoneLostOrDoubled(outcome);
    }

    /// <summary>Runs one scenario and returns its outcome (at <paramref name="path"/> in the JSON), which must have ended Succeeded.</summary>
    private static async Task<JsonElement> SucceededAsync(string scenario, params string[] path)
    {
        var result = await CliProcess.RunAsync(TestPostgres.AdminConnectionString, TimeSpan.FromMinutes(15), "bench", "faults", "--only", scenario);
        Assert.True(result.ExitCode == 0, result.Error);
        var outcome = path.Aggregate(JsonDocument.Parse(result.Output).RootElement, (element, name) => element.GetProperty(name));
        // The workers' logs come through the bench's standard error: the last of them say why a run did not end.
        Assert.True(outcome.GetProperty("status").GetString() == "Succeeded", $"{outcome}\n{Tail(result.Error)}");
        return outcome;
    }

    private static void AssertNoneLostOrDoubled(JsonElement outcome)
    {
        Assert.True(outcome.GetProperty("lost").GetInt32() == 0, outcome.ToString());
        Assert.Equal(0, outcome.GetProperty("doubled").GetInt32());
    }

    private static string Tail(string text) => text.Length <= 8_000 ? text : text[^8_000..];
}
