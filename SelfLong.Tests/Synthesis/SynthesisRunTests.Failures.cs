using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Synthesis;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Synthesis;

/// <summary>A run whose endpoint fails: retried by the one model-call policy, later, or not at all when refused.</summary>
public sealed partial class SynthesisRunTests
{
    [Fact]
    public async Task Run_EndpointDownPastThePolicy_FailedSampleIsRetriedLaterAndCompletes()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 2);
        var endpoint = await host.AddChatEndpointAsync(server);
        var runs = host.Get<SynthesisRunService>();
        var run = await CreateRunAsync(host, endpoint, 1, SmallSettings with { LongOutputFraction = 0 });
        await runs.StartAsync(run.Id, Ct);
        server.EnqueueFaults(OpenAiFault.ServerError, OpenAiFault.ServerError);

        await host.RunQueuedAsync(Ct);
        var failed = Assert.Single(await SamplesAsync(host, run.Id));
        Assert.Equal(SampleStatus.Failed, failed.Status);
        Assert.Contains("failed after 2 attempt", failed.Error);
        Assert.Equal(1, failed.Attempts);
        Assert.NotNull(failed.RetryAt);
        // Not over while a retry is due; the retry waits the configured delay (2 minutes by default).
        Assert.Equal(RunStatus.Running, (await runs.FindAsync(run.Id, Ct))!.Status);
        var retry = Assert.Single(host.Queue.ReleaseScheduled());
        Assert.Equal((run.Id, 0), (retry.RunId, retry.Index));
        Assert.InRange(retry.Delay, TimeSpan.FromSeconds(100), TimeSpan.FromMinutes(2));

        await host.RunQueuedAsync(Ct);
        var retried = Assert.Single(await SamplesAsync(host, run.Id));
        Assert.Equal(SampleStatus.Completed, retried.Status);
        Assert.Equal(failed.Id, retried.Id);
        Assert.Equal(2, retried.Attempts);
        Assert.Null(retried.RetryAt);
        Assert.Equal(RunStatus.Succeeded, (await runs.FindAsync(run.Id, Ct))!.Status);
    }

    [Fact]
    public async Task Run_EndpointStaysDown_SampleStopsAfterItsAttemptsWithGrowingWaitsAndResumeStartsAfresh()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 2);
        var endpoint = await host.AddChatEndpointAsync(server);
        var runs = host.Get<SynthesisRunService>();
        var run = await CreateRunAsync(host, endpoint, 1, SmallSettings with { LongOutputFraction = 0 });
        await runs.StartAsync(run.Id, Ct);
        // Two failed calls per attempt, three attempts (SelfLong:Synthesis:SampleAttempts).
        server.EnqueueFaults([.. Enumerable.Repeat(OpenAiFault.ServerError, 6)]);

        var delays = new List<TimeSpan>();
        await host.RunQueuedAsync(Ct);
        delays.AddRange(host.Queue.ReleaseScheduled().Select(r => r.Delay));
        await host.RunQueuedAsync(Ct);
        delays.AddRange(host.Queue.ReleaseScheduled().Select(r => r.Delay));
        await host.RunQueuedAsync(Ct);

        Assert.Empty(host.Queue.Scheduled);
        Assert.Equal(2, delays.Count);
        Assert.True(delays[1] > delays[0] * 1.8, $"waits {delays[0]} then {delays[1]}");
        var failed = Assert.Single(await SamplesAsync(host, run.Id));
        Assert.Equal(SampleStatus.Failed, failed.Status);
        Assert.Equal(3, failed.Attempts);
        Assert.Null(failed.RetryAt);
        Assert.Equal(RunStatus.Succeeded, (await runs.FindAsync(run.Id, Ct))!.Status);

        Assert.True(await runs.StartAsync(run.Id, Ct));
        await host.RunQueuedAsync(Ct);
        var resumed = Assert.Single(await SamplesAsync(host, run.Id));
        Assert.Equal(SampleStatus.Completed, resumed.Status);
        Assert.Equal(1, resumed.Attempts);
    }

    [Fact]
    public async Task Run_RequestRefused_SampleFailsWithoutRetry()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.RequiredApiKey = "right-key";
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 2);
        var endpoint = await host.AddChatEndpointAsync(server, apiKey: "wrong-key");
        var runs = host.Get<SynthesisRunService>();
        var run = await CreateRunAsync(host, endpoint, 1, SmallSettings with { LongOutputFraction = 0 });
        await runs.StartAsync(run.Id, Ct);

        await host.RunQueuedAsync(Ct);

        var failed = Assert.Single(await SamplesAsync(host, run.Id));
        Assert.Equal(SampleStatus.Failed, failed.Status);
        Assert.Null(failed.RetryAt);
        Assert.Empty(host.Queue.Scheduled);
        Assert.Equal(RunStatus.Succeeded, (await runs.FindAsync(run.Id, Ct))!.Status);
    }

    [Fact]
    public async Task Resume_RunWithSeveralFailedSamples_StaysRunningUntilEveryRetriedSampleHasRun()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.RequiredApiKey = "right-key";
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 1);
        var endpoint = await host.AddChatEndpointAsync(server, apiKey: "wrong-key");
        var runs = host.Get<SynthesisRunService>();
        var run = await CreateRunAsync(host, endpoint, 3, SmallSettings with { LongOutputFraction = 0 });
        await runs.StartAsync(run.Id, Ct);
        await host.RunQueuedAsync(Ct);
        Assert.All(await SamplesAsync(host, run.Id), s => Assert.Equal(SampleStatus.Failed, s.Status));
        server.RequiredApiKey = null;

        Assert.True(await runs.StartAsync(run.Id, Ct));
        var jobs = host.Queue.Drain();
        await host.Get<SynthesisExecutor>().RunSampleAsync(jobs[0].RunId, jobs[0].Index, Ct);

        // One of three done: the two still queued keep the run open (they count as due retries).
        Assert.Equal(RunStatus.Running, (await runs.FindAsync(run.Id, Ct))!.Status);
        foreach (var job in jobs.Skip(1)) await host.Get<SynthesisExecutor>().RunSampleAsync(job.RunId, job.Index, Ct);
        Assert.All(await SamplesAsync(host, run.Id), s => Assert.Equal(SampleStatus.Completed, s.Status));
        Assert.Equal(RunStatus.Succeeded, (await runs.FindAsync(run.Id, Ct))!.Status);
    }
}
