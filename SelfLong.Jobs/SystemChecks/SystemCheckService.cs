using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.SystemChecks;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.SystemChecks;

/// <summary>Records a check row and enqueues the job that fills it in.</summary>
public sealed class SystemCheckService(IDbContextFactory<SelfLongDbContext> dbFactory, IBackgroundJobClient jobs)
{
    public async Task<SystemCheck> EnqueueAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var check = new SystemCheck { Status = RunStatus.Queued };
        db.SystemChecks.Add(check);
        await db.SaveChangesAsync(ct);

        check.HangfireJobId = jobs.Enqueue<SystemCheckJob>(job => job.RunAsync(check.Id, null, CancellationToken.None));
        await db.SaveChangesAsync(ct);
        return check;
    }

    public async Task<SystemCheck?> FindAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SystemChecks.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
    }

    public async Task<SystemCheck?> LatestAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SystemChecks.AsNoTracking().OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);
    }
}

public static class SystemCheckExtensions
{
    public static IServiceCollection AddSystemChecks(this IServiceCollection services) =>
        services.AddTransient<SystemCheckService>().AddTransient<SystemCheckJob>();
}
