using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SelfLong.Data;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Synthesis;

namespace SelfLong.Jobs.Training.External;

/// <summary>
/// A training run handed to Axolotl: the export goes into the run's own folder (so it sits under
/// the shared storage root and no path is typed in), and a recurring job follows its output until
/// every stage has saved its final model.
/// </summary>
public sealed class ExternalTraining(
    IDbContextFactory<SelfLongDbContext> dbFactory, SynthesisSampleReader synthesisSamples, AxolotlOutputFollower follower,
    IRecurringJobManager recurring, ProgressPublisher progress, ILogger<ExternalTraining> logger)
{
    public const string Folder = "axolotl";

    public static string ExportFolder(string runOutputDirectory) => Path.Combine(runOutputDirectory, Folder);

    public static string FollowJobId(long runId) => $"training-{runId}-axolotl-follow";

    public async Task<AxolotlExportResult> ExportAsync(long runId, AxolotlExportOptions options, bool follow, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, ct)
            ?? throw new KeyNotFoundException($"Training run #{runId} does not exist.");
        var spec = TrainingRunSpec.FromJson(run.SpecJson);
        var result = await AxolotlExport.WriteAsync(run, spec, DatabaseSampleSources.For(spec, synthesisSamples, dbFactory),
            ExportFolder(run.OutputDirectory), options, ct);
        logger.LogInformation("Exported training run {RunId} for Axolotl: {Stages} stage(s)", runId, result.Stages.Count);
        if (follow) Follow(recurring, runId);
        return result;
    }

    /// <summary>Reads the run's output folders every minute until every stage has finished or the run is cancelled.</summary>
    public static void Follow(IRecurringJobManager recurring, long runId) =>
        recurring.AddOrUpdate<ExternalTrainingFollowJob>(FollowJobId(runId), JobQueues.Default, j => j.RunAsync(runId, CancellationToken.None), Cron.Minutely(), new RecurringJobOptions());

    /// <summary>One pass over the output folders; the follow job stops once every stage has finished or the run has ended.</summary>
    public async Task<FollowResult> FollowAsync(long runId, CancellationToken ct)
    {
        string folder;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            folder = await db.TrainingRuns.Where(r => r.Id == runId).Select(r => r.OutputDirectory).FirstOrDefaultAsync(ct)
                ?? throw new KeyNotFoundException($"Training run #{runId} does not exist.");
        }
        var result = await follower.ImportAsync(runId, ExportFolder(folder), ct);
        if (result.StagesFinished >= result.Stages) recurring.RemoveIfExists(FollowJobId(runId));
        if (result.MetricsAdded + result.CheckpointsAdded > 0) progress.Publish(ProgressFeatures.Training, runId);
        return result;
    }
}

/// <summary>The recurring job that follows an exported run's output folders.</summary>
public sealed class ExternalTrainingFollowJob(ExternalTraining external, IRecurringJobManager recurring)
{
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long runId, CancellationToken ct)
    {
        try
        {
            await external.FollowAsync(runId, ct);
        }
        catch (KeyNotFoundException)
        {
            recurring.RemoveIfExists(ExternalTraining.FollowJobId(runId)); // the run was deleted
        }
    }
}
