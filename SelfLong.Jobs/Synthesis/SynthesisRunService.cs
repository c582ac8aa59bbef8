using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Audit;
using SelfLong.Data.Endpoints;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Endpoints.Local;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Storage;
using SelfLong.Jobs.Text;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Runs;

namespace SelfLong.Jobs.Synthesis;

/// <summary>What a user asks for when starting a run (UI, REST API, command line).</summary>
public sealed record NewSynthesisRun(
    string Name, long CorpusId, long EndpointId, int SampleCount, int Seed = 1,
    SynthesisSettings? Settings = null, PromptTemplates? Templates = null);

public sealed record SynthesisProgress(int Completed, int Failed, int Rejected, long InputTokens, long TargetTokens);

/// <summary>Creates runs and moves them through their states; the work itself is per-sample jobs.</summary>
public sealed class SynthesisRunService(
    IDbContextFactory<SelfLongDbContext> dbFactory, ISampleJobQueue queue, ProgressPublisher progress, ServerPaths paths)
{
    public const int MaxSamples = 1_000_000;

    public async Task<(SynthesisRun? Run, Dictionary<string, string[]> Errors)> CreateAsync(NewSynthesisRun request, CancellationToken ct = default)
    {
        var settings = request.Settings ?? new SynthesisSettings();
        var templates = request.Templates ?? PromptTemplates.Default;
        // A tokenizer named by folder goes through the sandbox first; the run keeps the real path.
        string? refusedTokenizer = null;
        if (TokenCounters.IsFolder(settings.TargetTokenizer))
        {
            var (real, refused) = paths.Check(settings.TargetTokenizer, ServerPathKind.Folder);
            refusedTokenizer = refused;
            settings = settings with { TargetTokenizer = real ?? TokenCounters.Default };
        }
        var errors = settings.Validate();
        if (refusedTokenizer is not null) errors["targetTokenizer"] = [refusedTokenizer];
        foreach (var (key, value) in templates.Validate()) errors[key] = value;
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200) errors["name"] = ["Give the run a name of 1 to 200 characters."];
        if (request.SampleCount is < 1 or > MaxSamples) errors["sampleCount"] = [$"The sample count must be between 1 and {MaxSamples:N0}."];

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var endpoint = await db.ModelEndpoints.AsNoTracking().SingleOrDefaultAsync(e => e.Id == request.EndpointId, ct);
        if (endpoint is null) errors["endpointId"] = ["Choose a model endpoint."];
        else if (endpoint.Kind == ModelEndpointKind.LocalCheckpoint
            && LocalCheckpointSettings.Problem(endpoint.CheckpointPath, out _) is { } problem)
            errors["endpointId"] = [$"Endpoint '{endpoint.Name}' cannot be used: {problem}"];
        // No foreign key on purpose: samples hold full copies of their documents, so a run stays
        // readable after its corpus is deleted. A new run needs the corpus now, though.
        if (!await db.Corpora.AnyAsync(c => c.Id == request.CorpusId, ct)) errors["corpusId"] = [$"There is no corpus #{request.CorpusId}; choose one that exists."];
        if (errors.Count > 0) return (null, errors);

        var run = new SynthesisRun
        {
            Name = request.Name.Trim(), CorpusId = request.CorpusId, EndpointId = endpoint!.Id,
            GeneratorLabel = SynthesisModelFactory.LabelFor(endpoint), IsExtractive = endpoint.Kind == ModelEndpointKind.Extractive,
            SampleCount = request.SampleCount, Seed = request.Seed,
            SettingsJson = settings.ToJson(), TemplatesJson = templates.ToJson(), Tokenizer = TokenizerName(settings),
            Status = RunStatus.Queued,
        };
        db.SynthesisRuns.Add(run);
        await db.SaveChangesAsync(ct);
        // Open run lists in other tabs and processes show the new run.
        progress.Publish(ProgressFeatures.Synthesis, run.Id);
        return (run, errors);
    }

    /// <summary>
    /// Starts or resumes a run: enqueues every index without a completed sample (failed ones are
    /// tried again). Calls already answered come from the cache, so resuming pays for nothing twice.
    /// </summary>
    public Task<bool> StartAsync(long runId, CancellationToken ct = default) => StartAsync(runId, queue, ct);

    /// <summary>Starts or resumes a run with its sample jobs sent to <paramref name="target"/> (e.g. run in this process).</summary>
    public async Task<bool> StartAsync(long runId, ISampleJobQueue target, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.SynthesisRuns.SingleOrDefaultAsync(r => r.Id == runId, ct);
        // A Running run may be resumed too: after a worker was killed its lost jobs are enqueued again.
        if (run is null || run.Status == RunStatus.Cancelled) return false;
        var done = await db.SynthesisSamples.Where(s => s.RunId == runId && s.Status == SampleStatus.Completed)
            .Select(s => s.Index).ToListAsync(ct);
        if (done.Count >= run.SampleCount) return false;
        RunControl.Start(run);
        run.WorkedHere = target.Owner;
        if (!await SaveMoveAsync(db, ct)) return false;
        // The user's resume gives failed samples their attempts afresh; each counts as due until
        // it has run again, so the run does not complete while they wait in the queue.
        var now = DateTimeOffset.UtcNow;
        await db.SynthesisSamples.Where(s => s.RunId == runId && s.Status == SampleStatus.Failed)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Attempts, 0).SetProperty(s => s.RetryAt, now), ct);
        progress.Publish(ProgressFeatures.Synthesis, runId);
        Dispatch(runId, run.SampleCount, done.ToHashSet(), target);
        return true;
    }

    /// <summary>
    /// Sends again the samples of a running run whose jobs were lost (for <see cref="Runs.RunReaper"/>):
    /// every index with no row yet and every failed one still waiting for its retry. Unlike a user's
    /// resume, samples that are out of attempts stay failed and no attempt count starts again.
    /// Returns how many were sent; 0 when the run is no longer running or nothing waits.
    /// </summary>
    public async Task<int> RedispatchAsync(long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var count = await db.SynthesisRuns.Where(r => r.Id == runId && r.Status == RunStatus.Running).Select(r => (int?)r.SampleCount).SingleOrDefaultAsync(ct);
        if (count is null) return 0;
        // From now on the samples are Hangfire's, whichever process worked them before.
        await db.SynthesisRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.WorkedHere, (string?)null), ct);
        var settled = await db.SynthesisSamples.Where(s => s.RunId == runId && s.RetryAt == null).Select(s => s.Index).ToListAsync(ct);
        return Dispatch(runId, count.Value, settled.ToHashSet(), queue);
    }

    /// <summary>One job per sample index of the run not in <paramref name="skip"/>; returns how many were sent.</summary>
    private static int Dispatch(long runId, int sampleCount, HashSet<int> skip, ISampleJobQueue target)
    {
        var sent = 0;
        for (var index = 0; index < sampleCount; index++)
        {
            if (skip.Contains(index)) continue;
            target.Enqueue(runId, index);
            sent++;
        }
        return sent;
    }

    public Task<bool> PauseAsync(long runId, CancellationToken ct = default) => MoveAsync(runId, RunControl.Pause, ct);

    public Task<bool> CancelAsync(long runId, CancellationToken ct = default) => MoveAsync(runId, run => RunControl.RequestCancel(run, jobs: null), ct);

    private async Task<bool> MoveAsync(long runId, Func<SynthesisRun, bool> move, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.SynthesisRuns.SingleOrDefaultAsync(r => r.Id == runId, ct);
        if (run is null || !move(run) || !await SaveMoveAsync(db, ct)) return false;
        progress.Publish(ProgressFeatures.Synthesis, runId);
        return true;
    }

    /// <summary>
    /// Saves a status move; false when the run's status changed since it was read (the last sample
    /// completed it, or another person moved it first): the move no longer applies.
    /// </summary>
    private static async Task<bool> SaveMoveAsync(SelfLongDbContext db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
    }

    public async Task<SynthesisRun?> FindAsync(long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SynthesisRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct);
    }

    public async Task<IReadOnlyList<SynthesisRun>> ListAsync(int take = 100, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SynthesisRuns.AsNoTracking().OrderByDescending(r => r.Id).Take(take).ToListAsync(ct);
    }

    public async Task<Dictionary<long, SynthesisProgress>> ProgressAsync(IReadOnlyCollection<long> runIds, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.SynthesisSamples.Where(s => runIds.Contains(s.RunId))
            .GroupBy(s => s.RunId)
            .Select(g => new
            {
                RunId = g.Key,
                Completed = g.Count(s => s.Status == SampleStatus.Completed),
                Failed = g.Count(s => s.Status == SampleStatus.Failed),
                Rejected = g.Count(s => s.Rejected),
                Input = g.Sum(s => (long)s.InputTokens),
                Target = g.Sum(s => (long)s.TargetTokens),
            })
            .ToListAsync(ct);
        return runIds.ToDictionary(id => id, id => rows.FirstOrDefault(r => r.RunId == id) is { } r
            ? new SynthesisProgress(r.Completed, r.Failed, r.Rejected, r.Input, r.Target)
            : new SynthesisProgress(0, 0, 0, 0, 0));
    }

    public async Task<bool> SetRejectedAsync(long sampleId, bool rejected, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.SynthesisSamples.Where(s => s.Id == sampleId).ExecuteUpdateAsync(u => u.SetProperty(s => s.Rejected, rejected), ct) != 1) return false;
        await db.RecordAsync(AuditTrail.Changed, "synthesis sample", sampleId, rejected ? "rejected" : "accepted", ct);
        return true;
    }

    /// <summary>The run's tokenizer as shown and exported; a folder's name is cut to the column's 100 characters.</summary>
    private static string TokenizerName(SynthesisSettings settings)
    {
        var name = TokenCounters.Resolve(settings.TargetTokenizer).Name;
        return name.Length <= 100 ? name : name[..99] + "…";
    }
}
