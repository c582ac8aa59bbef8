using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SelfLong.Data;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// Removes uploaded files no run waits for: a process that dies between receiving an upload and
/// recording its run, or while a run's files are being removed, leaves them behind. A file is
/// removed once it is older than <see cref="CorporaOptions.OrphanedUploadGrace"/> (counted from its
/// last write, so an upload still arriving is never touched) and no queued or running ingestion
/// run names it. Only the upload folder's own files (<c>*.upload</c>) are considered. The folder
/// belongs to one database: a second deployment sharing it would see the first's files as orphans.
/// </summary>
public sealed class UploadSweeper(IDbContextFactory<SelfLongDbContext> dbFactory, IOptions<CorporaOptions> options, ILogger<UploadSweeper> logger)
    : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(DateTime.UtcNow - options.Value.OrphanedUploadGrace, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Upload sweep failed ({Error}); trying again in {Minutes} minutes.", e.Message, (int)Every.TotalMinutes);
            }
            await Task.Delay(Every, stoppingToken);
        }
    }

    /// <summary>One sweep over uploads last written before <paramref name="writtenBefore"/>; returns the paths removed.</summary>
    public async Task<IReadOnlyList<string>> SweepAsync(DateTime writtenBefore, CancellationToken ct)
    {
        var folder = Path.GetFullPath(options.Value.UploadDirectory);
        if (!Directory.Exists(folder)) return [];
        var old = Directory.EnumerateFiles(folder, "*.upload", SearchOption.TopDirectoryOnly)
            .Where(f => File.GetLastWriteTimeUtc(f) < writtenBefore).ToList();
        if (old.Count == 0) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var waitedFor = (await db.IngestionRuns.Where(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running)
            .SelectMany(r => r.FileList).Where(f => f.StoredPath != null && old.Contains(f.StoredPath))
            .Select(f => f.StoredPath!).ToListAsync(ct)).ToHashSet();
        var removed = new List<string>();
        foreach (var file in old.Where(f => !waitedFor.Contains(f)))
        {
            try
            {
                File.Delete(file);
                removed.Add(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Could not remove the orphaned upload {File}: {Error}", Path.GetFileName(file), e.Message);
            }
        }
        if (removed.Count > 0) logger.LogWarning("Removed {Count} uploaded file(s) no run waits for.", removed.Count);
        return removed;
    }
}
