using Hangfire;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;

namespace SelfLong.Web.Features.Overview;

/// <summary>The counts on the overview page, read from PostgreSQL and Hangfire's storage.</summary>
public sealed class OverviewStatistics(IDbContextFactory<SelfLongDbContext> dbFactory, JobStorage jobStorage)
{
    public sealed record Count(string Label, long Value, string Href);

    public async Task<IReadOnlyList<Count>> ReadAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var jobs = jobStorage.GetMonitoringApi().GetStatistics();
        return
        [
            new("Users", await db.Users.LongCountAsync(ct), "/"),
            new("Corpora", await db.Corpora.LongCountAsync(ct), "/corpora"),
            new("Documents", await db.Documents.LongCountAsync(ct), "/corpora"),
            new("Chunks", await db.Chunks.LongCountAsync(ct), "/corpora"),
            new("Jobs processing", jobs.Processing, "/job-queue"),
            new("Jobs succeeded", jobs.Succeeded, "/job-queue"),
            new("Jobs failed", jobs.Failed, "/job-queue"),
            new("Worker servers", jobs.Servers, "/job-queue"),
            new("Synthesized samples", await db.SynthesisSamples.LongCountAsync(s => s.Status == SelfLong.Data.Synthesis.SampleStatus.Completed, ct), "/synthesis"),
        ];
    }
}
