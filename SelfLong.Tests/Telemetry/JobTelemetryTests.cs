using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Jobs.Telemetry;
using SelfLong.Tests.Evaluation;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Telemetry;

/// <summary>A real run through the suite app's Hangfire server: its job span (linked to the request that started it), the model calls and commands inside it, its row's trace id.</summary>
[NeedsDatabase]
[Collection(TelemetryCollection.Name)]
public sealed class JobTelemetryTests(AppFixture app)
{
    [Fact]
    public async Task EvaluationJob_RunsUnderHangfire_OneJobSpanParentsItsModelCallsAndDatabaseCommandsAndTheRowKeepsItsTraceId()
    {
        var ct = TestContext.Current.CancellationToken;
        using var capture = new TelemetryCapture();
        await using var server = await OpenAiTestServer.StartAsync();
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        // The span of the request that starts the run (as ASP.NET Core's would be): the job links to it.
        using var request = new Activity("POST /api/evaluations") { ActivityTraceFlags = ActivityTraceFlags.Recorded }.Start();
        var run = await evaluations.CreateNiahAsync($"niah-{Guid.NewGuid():N}", NiahTests.Target(server, maxLength: 1000),
            new NiahSettings { Lengths = [1000], Depths = [0, 100] }, ct);
        request.Stop();

        run = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);

        var spans = capture.Spans;
        var job = Assert.Single(spans, s => s.Source.Name == JobTracing.Name && Equals(s.GetTagItem(JobTracing.RunId), run.Id));
        Assert.Equal("EvaluationJob.RunAsync", job.DisplayName);
        Assert.Equal(ActivityKind.Consumer, job.Kind);
        Assert.Equal(run.HangfireJobId, job.GetTagItem(JobTracing.JobId));
        Assert.Equal("evaluation", job.GetTagItem(JobTracing.Queue));
        Assert.Equal(ActivityStatusCode.Unset, job.Status);
        Assert.Equal(default, job.ParentSpanId);
        var link = Assert.Single(job.Links);
        Assert.Equal((request.TraceId, request.SpanId), (link.Context.TraceId, link.Context.SpanId));
        Assert.NotEqual(request.TraceId, job.TraceId);
        Assert.Equal(job.TraceId.ToHexString(), run.TraceId);
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct))
            Assert.Equal(job.TraceId.ToHexString(), await db.EvaluationRuns.Where(r => r.Id == run.Id).Select(r => r.TraceId).SingleAsync(ct));

        // Two cells, two prompts: each call's span sits in the job's trace, below the job.
        var calls = spans.Where(s => s.Source.Name == ModelCallTelemetry.Name && s.TraceId == job.TraceId).ToList();
        Assert.Equal(server.RequestCount, calls.Count);
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal("text_completion", c.GetTagItem(ModelCallTelemetry.Operation)));
        Assert.All(calls, c => Assert.True(Descends(c, job, spans), $"{c.DisplayName} is not below the job span"));
        // The run's reads and writes are traced inside the job; commands outside any span (Hangfire's polling) are not exported.
        Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.TraceId == job.TraceId);
        Assert.DoesNotContain(spans, s => s.Source.Name == "Npgsql" && s.ParentSpanId == default);
    }

    [Fact]
    public async Task EvaluationRunWorkedHere_NoHangfireJob_TheShellsOwnSpanParentsItsModelCallsAndTheRowKeepsItsTraceId()
    {
        var ct = TestContext.Current.CancellationToken;
        using var capture = new TelemetryCapture();
        await using var server = await OpenAiTestServer.StartAsync();
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateNiahAsync($"niah-{Guid.NewGuid():N}", NiahTests.Target(server, maxLength: 1000),
            new NiahSettings { Lengths = [1000], Depths = [50] }, ct, enqueue: false);

        // What `eval --wait` does: the job's body in this process, with no Hangfire job around it.
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<EvaluationJob>().RunAsync(run.Id, ct);

        var spans = capture.Spans;
        var shell = Assert.Single(spans, s => s.Source.Name == JobTracing.Name && Equals(s.GetTagItem(JobTracing.RunId), run.Id));
        Assert.Equal("EvaluationRun here", shell.DisplayName);
        var call = Assert.Single(spans, s => s.Source.Name == ModelCallTelemetry.Name && s.TraceId == shell.TraceId);
        Assert.True(Descends(call, shell, spans));
        run = (await evaluations.FindAsync(run.Id, ct))!;
        Assert.Equal((RunStatus.Succeeded, shell.TraceId.ToHexString()), (run.Status, run.TraceId));
    }

    private static bool Descends(Activity span, Activity ancestor, IReadOnlyList<Activity> spans)
    {
        for (var parent = span.ParentSpanId; parent != default;)
        {
            if (parent == ancestor.SpanId) return true;
            parent = spans.FirstOrDefault(s => s.SpanId == parent)?.ParentSpanId ?? default;
        }
        return false;
    }
}
