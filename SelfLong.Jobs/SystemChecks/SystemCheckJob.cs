using Hangfire;
using Hangfire.Server;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.SystemChecks;
using SelfLong.Jobs.Hosting;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.SystemChecks;

/// <summary>Hangfire shell around <see cref="TorchSelfTest"/>: loads the row, runs, records.</summary>
public sealed class SystemCheckJob(IDbContextFactory<SelfLongDbContext> dbFactory)
{
    /// <summary>Float32 matmul over 64 terms agrees with a double reference to well under this.</summary>
    public const double Tolerance = 1e-3;

    [Queue(JobQueues.Default)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long checkId, PerformContext? context, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var check = await db.SystemChecks.SingleAsync(c => c.Id == checkId, ct);
        check.Status = RunStatus.Running;
        check.ServerName = context?.ServerId;
        await db.SaveChangesAsync(ct);

        try
        {
            var result = TorchSelfTest.Run();
            check.Device = result.Device;
            check.MaxAbsError = result.MaxAbsError;
            check.Status = result.MaxAbsError < Tolerance ? RunStatus.Succeeded : RunStatus.Failed;
            check.Message = check.Status == RunStatus.Succeeded
                ? $"TorchSharp matmul on {result.Device} matches the reference."
                : $"TorchSharp matmul on {result.Device} is off by {result.MaxAbsError:g3}.";
        }
        catch (Exception ex)
        {
            check.Status = RunStatus.Failed;
            check.Message = ex.Message;
            check.CompletedAt = DateTimeOffset.UtcNow;
            await db.SaveChangesAsync(CancellationToken.None);
            throw;
        }
        check.CompletedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(ct);
    }
}
