using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Demo;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Jobs.Demo;

/// <summary>Starts the demo as a Hangfire job and reads where it is.</summary>
public sealed class DemoService(IDbContextFactory<SelfLongDbContext> dbFactory, IBackgroundJobClient jobs)
{
    public async Task<DemoRun> CreateAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var demo = new DemoRun { Status = DemoStatus.Queued };
        db.DemoRuns.Add(demo);
        await db.SaveChangesAsync(ct);
        return demo;
    }

    /// <summary>Creates a demo run and enqueues the job that chains the steps.</summary>
    public async Task<DemoRun> StartAsync(CancellationToken ct = default)
    {
        var demo = await CreateAsync(ct);
        jobs.Enqueue<DemoJob>(job => job.RunAsync(demo.Id, CancellationToken.None));
        return demo;
    }

    public async Task<DemoRun?> LatestAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.DemoRuns.AsNoTracking().OrderByDescending(d => d.Id).FirstOrDefaultAsync(ct);
    }

    /// <summary>The comparison view of a finished demo: every NIAH run side by side.</summary>
    public static string CompareUrl(DemoRun demo) => $"/evaluation/compare?ids={demo.NiahRunIds}";
}

/// <summary>Hangfire shell around <see cref="DemoPipeline"/>.</summary>
public sealed class DemoJob(DemoPipeline pipeline)
{
    // The demo waits on ingest, synthesis, training and evaluation jobs: it must not hold a worker
    // those need, so the in-process server runs it beside them (WorkerCount >= 2).
    [Queue(JobQueues.Default)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(long demoId, CancellationToken ct) => pipeline.RunAsync(demoId, report: null, ct);
}

public static class DemoExtensions
{
    public static IServiceCollection AddDemo(this IServiceCollection services)
    {
        services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.Section);
        return services.AddTransient<DemoPipeline>().AddTransient<DemoService>().AddTransient<DemoJob>();
    }
}
