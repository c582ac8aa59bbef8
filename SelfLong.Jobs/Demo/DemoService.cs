using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Demo;
using SelfLong.Jobs.Hosting;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Demo;

/// <summary>Starts the demo as a Hangfire job and reads where it is.</summary>
public sealed class DemoService(IDbContextFactory<SelfLongDbContext> dbFactory, IBackgroundJobClient jobs)
{
    public async Task<DemoRun> CreateAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var demo = new DemoRun { Status = RunStatus.Queued };
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
