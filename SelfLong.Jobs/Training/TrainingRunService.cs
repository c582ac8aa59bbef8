using SelfLong.Jobs.Runs;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using SelfLong.Data;
using SelfLong.Data.Training;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Storage;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Training;

/// <summary>
/// Creates, lists, cancels and resumes training runs; the work itself is <see cref="TrainingJob"/>,
/// or an external trainer's for a run created <c>external</c> (<see cref="External.ExternalTraining"/>).
/// </summary>
public sealed class TrainingRunService(
    IDbContextFactory<SelfLongDbContext> dbFactory, IBackgroundJobClient jobs, IRecurringJobManager recurring, IConfiguration configuration,
    TrainingDataReferences references, ProgressPublisher progress, ServerPaths paths)
{
    /// <summary>Validates the spec (ArgumentException with a message to show), stores the run and queues it (an external one waits for its trainer).</summary>
    public async Task<TrainingRun> CreateAsync(string name, TrainingRunSpec spec, CancellationToken ct = default, bool external = false)
    {
        var (run, errors) = await TryCreateAsync(name, spec, ct, external);
        return run ?? throw new TrainingSpecException(errors.First().Field, errors.First().Message);
    }

    /// <summary>
    /// Stores and queues the run, or returns every problem with the field it concerns (name, base,
    /// data, synthesisRuns, corpusText, stages, options) and stores nothing. An <paramref name="external"/>
    /// run is stored and never queued: it is exported for an external trainer and followed.
    /// </summary>
    public async Task<(TrainingRun? Run, IReadOnlyList<(string Field, string Message)> Errors)> TryCreateAsync(
        string name, TrainingRunSpec spec, CancellationToken ct = default, bool external = false)
    {
        List<(string Field, string Message)> errors = [];
        if (string.IsNullOrWhiteSpace(name)) errors.Add(("name", "Give the run a name."));
        else if (name.Trim().Length > MaxNameLength) errors.Add(("name", $"The name is longer than {MaxNameLength} characters."));
        (spec, var refused) = Sandboxed(spec);
        errors.AddRange(refused);
        errors.AddRange(spec.Errors().Where(e => !refused.Any(r => r.Field == e.Field)));
        errors.AddRange(await references.ErrorsAsync(spec, ct));
        if (errors.Count == 0)
        {
            // A run that cannot fit the device is refused now, not hours later at its first long stage.
            // An external run trains on the trainer's GPUs, sharded, not on this device: only the
            // base and stages must read.
            var (preview, previewErrors) = Preview(spec);
            errors.AddRange(previewErrors);
            if (preview is not null && !external) errors.AddRange(preview.Refusals());
        }
        if (errors.Count > 0) return (null, errors);
        return (await StoreAsync(name, spec, external, ct), errors);
    }

    /// <summary>
    /// The folder of training checkpoint #<paramref name="checkpointId"/>, to train from (a base picked
    /// by id instead of a typed path), or why there is none. The folder still goes through the sandbox.
    /// </summary>
    public async Task<(string? Folder, string? Error)> CheckpointFolderAsync(long checkpointId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.TrainingCheckpoints.Where(c => c.Id == checkpointId).Select(c => c.Path).SingleOrDefaultAsync(ct);
        return path is null ? (null, $"There is no training checkpoint #{checkpointId}; pick one from the list.") : (path, null);
    }

    /// <summary>Read once per process: the device does not change under a running app.</summary>
    private static readonly Lazy<TrainingDevice> DetectedDevice = new(() => TrainingDevice.Detect());

    /// <summary>The device runs train on; SelfLong:Training:DeviceMemoryBytes, when set, replaces its detected memory.</summary>
    public TrainingDevice Device => configuration.GetValue<long?>("SelfLong:Training:DeviceMemoryBytes") is { } bytes
        ? DetectedDevice.Value with { MemoryBytes = bytes }
        : DetectedDevice.Value;

    /// <summary>
    /// The stage table with memory estimates and warnings, or the problems with the base, stages
    /// or options that keep it from being estimated (data is not needed for an estimate).
    /// </summary>
    public (TrainingPreview? Preview, IReadOnlyList<(string Field, string Message)> Errors) Preview(TrainingRunSpec spec)
    {
        (spec, var refused) = Sandboxed(spec);
        // A refused base is "tiny" now, so Errors() reports nothing more about it.
        List<(string Field, string Message)> errors = [.. refused.Where(e => e.Field == "base"), .. spec.Errors().Where(e => e.Field is "base" or "stages" or "options")];
        if (errors.Count > 0) return (null, errors);
        var (config, error) = TrainingPreview.ReadBaseConfig(spec);
        if (config is null) return (null, [("base", error!)]);
        return (TrainingPreview.For(spec, config, Device), errors);
    }

    /// <summary>The base's config (for a preset's stages), read only when the sandbox allows the base folder.</summary>
    public (Models.LlamaConfig? Config, string? Error) ReadBaseConfig(TrainingRunSpec spec)
    {
        var (sandboxed, refused) = Sandboxed(spec);
        return refused.FirstOrDefault(r => r.Field == "base").Message is { } refusal
            ? (null, refusal)
            : TrainingPreview.ReadBaseConfig(sandboxed);
    }

    /// <summary>
    /// The spec with its base folder and data files replaced by their real paths, and the sandbox's
    /// refusals (a refused base falls back to "tiny" and a refused file is dropped, so the remaining
    /// checks do not report the same path again with a message that would tell whether it exists).
    /// </summary>
    private (TrainingRunSpec Spec, List<(string Field, string Message)> Refused) Sandboxed(TrainingRunSpec spec)
    {
        List<(string Field, string Message)> refused = [];
        if (spec.Base != TrainingRunSpec.TinyBase)
        {
            var (real, error) = paths.Check(spec.Base, ServerPathKind.Folder);
            if (error is not null) refused.Add(("base", error));
            spec = spec with { Base = real ?? TrainingRunSpec.TinyBase };
        }
        List<DataFileSpec> data = [];
        foreach (var file in spec.Data)
        {
            var (real, error) = paths.Check(file.Path, ServerPathKind.File);
            if (error is not null) refused.Add(("data", error));
            else data.Add(file with { Path = real! });
        }
        return (spec with { Data = data }, [.. refused.Distinct()]);
    }

    /// <summary>The column's length (TrainingRunConfiguration).</summary>
    public const int MaxNameLength = 200;

    public const string WaitingForTrainer = "Trained outside SelfLong: export it for Axolotl and launch the script on the GPU machine; SelfLong follows its output folder.";

    private async Task<TrainingRun> StoreAsync(string name, TrainingRunSpec spec, bool external, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = new TrainingRun
        {
            Name = name.Trim(),
            SpecJson = spec.ToJson(),
            OutputDirectory = "",
            Status = RunStatus.Queued,
            External = external,
            Message = external ? WaitingForTrainer : null,
            TotalSteps = spec.Stages.Sum(s => s.StepCount(spec.Options.BatchSize * spec.Options.GradientAccumulation)),
        };
        db.TrainingRuns.Add(run);
        await db.SaveChangesAsync(ct);
        // The folder is saved before the job is enqueued: a worker may pick the job up at once. Its
        // marker is how a worker tells it sees the same storage root (TrainingJob refuses otherwise).
        run.OutputDirectory = RunFolders.Create(configuration, run.Id);
        await db.SaveChangesAsync(ct);
        if (!external)
        {
            run.HangfireJobId = jobs.Enqueue<TrainingJob>(job => job.RunAsync(run.Id, false, CancellationToken.None));
            await db.SaveChangesAsync(ct);
        }
        progress.Publish(ProgressFeatures.Training, run.Id);
        return run;
    }

    /// <summary>Asks a queued or running run to stop; it checkpoints first, so it can be resumed. An external run stops being followed.</summary>
    public async Task<bool> CancelAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.SingleOrDefaultAsync(r => r.Id == id, ct);
        if (run is null || !RunControl.RequestCancel(run, jobs)) return false;
        await db.SaveChangesAsync(ct);
        if (run.External) recurring.RemoveIfExists(External.ExternalTraining.FollowJobId(id));
        // Other open pages show "cancelling" now, not at their next safety refresh.
        progress.Publish(ProgressFeatures.Training, id);
        return true;
    }

    /// <summary>
    /// Queues a cancelled or failed run again, continuing from its newest checkpoint. An external run
    /// is followed again instead (once it has been exported): what its trainer wrote meanwhile is imported.
    /// </summary>
    public async Task<bool> ResumeAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.SingleOrDefaultAsync(r => r.Id == id, ct);
        if (run is null || !RunControl.Requeue(run, RunStatus.Cancelled, RunStatus.Failed)) return false;
        await db.SaveChangesAsync(ct);
        if (run.External)
        {
            if (Directory.Exists(External.ExternalTraining.ExportFolder(run.OutputDirectory))) External.ExternalTraining.Follow(recurring, id);
        }
        else
        {
            run.HangfireJobId = jobs.Enqueue<TrainingJob>(job => job.RunAsync(run.Id, true, CancellationToken.None));
            await db.SaveChangesAsync(ct);
        }
        progress.Publish(ProgressFeatures.Training, id);
        return true;
    }

    public async Task<(IReadOnlyList<TrainingRun> Runs, int Total)> ListAsync(int skip, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var total = await db.TrainingRuns.CountAsync(ct);
        var runs = await db.TrainingRuns.AsNoTracking().OrderByDescending(r => r.Id).Skip(skip).Take(take).ToListAsync(ct);
        return (runs, total);
    }

    /// <summary>The run with its checkpoints (metrics are read separately, they can be many).</summary>
    public async Task<TrainingRun?> FindAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.TrainingRuns.AsNoTracking().Include(r => r.Checkpoints.OrderBy(c => c.GlobalStep)).SingleOrDefaultAsync(r => r.Id == id, ct);
    }

    public async Task<IReadOnlyList<TrainingStepMetric>> MetricsAsync(long id, int afterStep = 0, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.TrainingStepMetrics.AsNoTracking().Where(m => m.RunId == id && m.GlobalStep > afterStep).OrderBy(m => m.GlobalStep).ToListAsync(ct);
    }

    /// <summary>Every registered checkpoint, newest first, with its run's name (for checkpoint pickers).</summary>
    public async Task<IReadOnlyList<(string RunName, TrainingCheckpoint Checkpoint)>> CheckpointsAsync(bool stageEndsOnly = true, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await (from c in db.TrainingCheckpoints.AsNoTracking()
                          join r in db.TrainingRuns.AsNoTracking() on c.RunId equals r.Id
                          where !stageEndsOnly || c.StageEnd
                          orderby c.CreatedAt descending
                          select new { r.Name, Checkpoint = c }).ToListAsync(ct);
        return [.. rows.Select(x => (x.Name, x.Checkpoint))];
    }
}
