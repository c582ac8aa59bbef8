using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// Removes what a process that stopped midway left behind:
/// <list type="bullet">
/// <item>uploads no run waits for: a process that dies between receiving an upload and recording
/// its run, or while a run's uploads are being removed, leaves them behind. An upload is removed
/// once its newest piece is older than <see cref="CorporaOptions.OrphanedUploadGrace"/> and no
/// queued or running ingestion run names it. An upload still arriving is never seen: its COPY is
/// not committed until its last piece is in.</item>
/// <item>indexes of deleted corpora (<see cref="OrphanedCorpusIndexes"/>).</item>
/// </list>
/// </summary>
public sealed class LeftoverSweeper(IDbContextFactory<SelfLongDbContext> dbFactory, NpgsqlDataSource dataSource, IOptions<CorporaOptions> options,
    ILogger<LeftoverSweeper> logger)
    : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(DateTimeOffset.UtcNow - options.Value.OrphanedUploadGrace, stoppingToken);
                await SweepIndexesAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Sweep of leftovers failed ({Error}); trying again in {Minutes} minutes.", e.Message, (int)Every.TotalMinutes);
            }
            await Task.Delay(Every, stoppingToken);
        }
    }

    /// <summary>One sweep over uploads last written before <paramref name="writtenBefore"/>; returns the uploads removed.</summary>
    public async Task<IReadOnlyList<Guid>> SweepAsync(DateTimeOffset writtenBefore, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var old = await db.UploadChunks.GroupBy(c => c.UploadId).Where(g => g.Max(c => c.WrittenAt) < writtenBefore).Select(g => g.Key).ToListAsync(ct);
        if (old.Count == 0) return [];
        var waitedFor = (await db.IngestionRuns.Where(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running)
            .SelectMany(r => r.FileList).Where(f => f.UploadId != null && old.Contains(f.UploadId.Value))
            .Select(f => f.UploadId!.Value).ToListAsync(ct)).ToHashSet();
        var removed = old.Where(id => !waitedFor.Contains(id)).ToList();
        await db.UploadChunks.Where(c => removed.Contains(c.UploadId)).ExecuteDeleteAsync(ct);
        if (removed.Count > 0) logger.LogWarning("Removed {Count} upload(s) no run waits for.", removed.Count);
        return removed;
    }

    /// <summary>Drops the chunk partitions and indexes of corpora that were deleted; returns their names.</summary>
    public async Task<IReadOnlyList<string>> SweepIndexesAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var dropped = (await OrphanedCorpusIndexes.DropPartitionsAsync(connection, ct)).Concat(await OrphanedCorpusIndexes.DropAsync(connection, ct)).ToList();
        if (dropped.Count > 0) logger.LogWarning("Dropped {Count} partition(s) and index(es) of deleted corpora: {Names}.", dropped.Count, string.Join(", ", dropped));
        return dropped;
    }
}
