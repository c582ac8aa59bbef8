using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SelfLong.Jobs.Synthesis;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

[NeedsDatabase]
public sealed class SynthesisBenchTests
{
    [Fact]
    public async Task RunAsync_SmallBench_MakesEverySampleWithItsOwnCallsAndLeavesNothingBehind()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var ct = TestContext.Current.CancellationToken;

        var result = await SynthesisBench.RunAsync(host.Services, TimeSpan.FromMilliseconds(20), concurrency: 2, callCount: 8, samplesPerLength: 1, ct);

        var json = JsonDocument.Parse(JsonSerializer.Serialize(result)).RootElement;
        Assert.Equal(100, json.GetProperty("ideal_calls_per_s").GetDouble());
        var phases = json.GetProperty("samples").EnumerateArray().ToList();
        Assert.Equal([8_192, 32_768, 131_072], phases.Select(p => p.GetProperty("target_tokens").GetInt32()));
        Assert.Equal([4, 2, 1], phases.Select(p => p.GetProperty("samples").GetInt32()));
        Assert.All(phases, p => Assert.Equal(0, p.GetProperty("failed").GetInt32()));
        Assert.All(phases, p => Assert.Equal(0, p.GetProperty("cache_hits").GetInt32()));
        // Every run has its own seed, so no call is answered from an earlier phase's cache: even the
        // shortest samples make an instruction, at least two summaries and a response.
        var callsPerSample = phases.Select(p => p.GetProperty("calls_per_sample").GetDouble()).ToList();
        Assert.True(callsPerSample[0] >= 4, $"8k samples made {callsPerSample[0]} calls each");
        Assert.True(callsPerSample[0] < callsPerSample[1] && callsPerSample[1] < callsPerSample[2], string.Join(", ", callsPerSample));
        Assert.Equal(2, phases[2].GetProperty("summary_levels").GetDouble());
        // Each call holds one of C slots for at least L, so no schedule beats the ideal.
        foreach (var ratio in phases.Select(p => p.GetProperty("samples_ratio_to_ideal").GetDouble())
                     .Append(json.GetProperty("calls").GetProperty("ratio_to_ideal").GetDouble()))
        {
            Assert.InRange(ratio, 0.05, 1.0);
        }

        await using var db = host.Database.CreateDbContext();
        Assert.False(await db.SynthesisRuns.AnyAsync(ct));
        Assert.False(await db.LlmCalls.AnyAsync(ct));
        Assert.False(await db.ModelEndpoints.AnyAsync(ct));
    }

    [Theory]
    [InlineData(800, 40, 1, 10.0, 3)] // the slots bind: 800 calls / C=8 = 100 rounds of L
    [InlineData(16, 8, 1, 0.3, 3)] // the chain binds: instruction, one summary level, response, one after another
    [InlineData(40, 80, 3, 1.0, 5)] // 80 samples, 40 at a time: two waves of a 5-call chain
    public void IdealSeconds_TakesTheTighterOfCapacityAndCriticalPath(long calls, int samples, int depth, double seconds, int path)
    {
        var (ideal, criticalPath) = SynthesisBench.IdealSeconds(TimeSpan.FromMilliseconds(100), 8, calls, samples, 40,
            Enumerable.Repeat(depth, samples).ToList());

        Assert.Equal(path, criticalPath);
        Assert.Equal(seconds, ideal, 6);
    }
}
