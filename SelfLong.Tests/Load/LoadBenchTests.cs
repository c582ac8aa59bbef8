using System.Text.Json;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Load;

/// <summary>`bench load` as a user runs it, at a tiny size: the dashboard and a worker as processes, circuits in Chromium.</summary>
[NeedsBrowser]
public sealed class LoadBenchTests
{
    [Fact]
    public async Task ThreeCircuits_PrintTheFiguresWithNoErrorsWhileTheWorkRuns()
    {
        var result = await CliProcess.RunAsync(TestPostgres.AdminConnectionString, TimeSpan.FromMinutes(10),
            "bench", "load", "--circuits", "3", "--rounds", "1", "--records", "3000", "--samples", "40", "--work-minutes", "5");

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(3, json.GetProperty("circuits").GetInt32());
        foreach (var (phase, circuits) in new[] { ("baseline", 1), ("load", 3) })
        {
            var figures = json.GetProperty(phase);
            Assert.Equal(circuits, figures.GetProperty("circuits").GetInt32());
            // Per circuit: a first load and a reload; one round of the menu's six pages.
            Assert.Equal(circuits * 2, figures.GetProperty("page_load_ms").GetProperty("count").GetInt32());
            Assert.Equal(circuits * 6, figures.GetProperty("interaction_ms").GetProperty("count").GetInt32());
            foreach (var kind in new[] { "page_load_ms", "interaction_ms" })
            {
                var latency = figures.GetProperty(kind);
                Assert.True(latency.GetProperty("p50").GetDouble() > 0, $"{phase} {kind} p50");
                Assert.True(latency.GetProperty("p50").GetDouble() <= latency.GetProperty("p95").GetDouble());
                Assert.True(latency.GetProperty("p95").GetDouble() <= latency.GetProperty("p99").GetDouble());
            }
        }
        Assert.True(json.GetProperty("ratios").GetProperty("page_load_p50").GetDouble() > 0);
        Assert.Equal(0, json.GetProperty("errors").GetInt32());
        Assert.Equal(0, json.GetProperty("dropped").GetInt32());
        Assert.True(json.GetProperty("web_memory_mib").GetProperty("peak_rss").GetDouble() > 0);
        // The jobs worked beside the circuits: the uploads stored documents and synthesis completed samples.
        var work = json.GetProperty("work");
        Assert.True(work.GetProperty("after").GetProperty("documents").GetInt32() > 0);
        Assert.True(work.GetProperty("after").GetProperty("samples_completed").GetInt32() > 0);
        // How each background run ended, with its message: every upload and the synthesis run succeeded.
        var final = work.GetProperty("final");
        Assert.True(final.GetProperty("ended").GetBoolean(), final.ToString());
        Assert.Equal(4, final.GetProperty("ingestion").GetArrayLength());
        foreach (var run in final.GetProperty("ingestion").EnumerateArray().Append(final.GetProperty("synthesis")))
        {
            Assert.True(run.GetProperty("status").GetString() == "Succeeded", run.ToString());
            Assert.Equal(JsonValueKind.Null, run.GetProperty("message").ValueKind);
        }
        Assert.Equal(12_000, final.GetProperty("documents").GetInt32());
    }
}
