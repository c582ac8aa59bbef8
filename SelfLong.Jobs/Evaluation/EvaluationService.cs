using SelfLong.Jobs.Runs;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Evaluation.Perplexity;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Evaluation.Targets;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Storage;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// Creates evaluation runs and puts them on the `evaluation` queue; cancels and resumes them;
/// stores uploaded QA data sets. Callable from code (the demo chains it after training).
/// </summary>
public sealed partial class EvaluationService(
    IDbContextFactory<SelfLongDbContext> dbFactory, IBackgroundJobClient jobs, EvaluationTargetFactory targets, ProgressPublisher progress,
    ServerPaths paths, TargetEndpoints endpoints)
{
    public async Task<EvaluationRun> CreateNiahAsync(string name, EvaluationTargetRequest target, NiahSettings settings, CancellationToken ct = default, bool enqueue = true)
    {
        target = Sandboxed(target);
        if (settings.Lengths.Count == 0) settings = settings with { Lengths = NiahSettings.EvenLengths(target.MaxLength) };
        if (settings.HaystackCorpusId is { } niahCorpus) settings = settings with { Haystack = $"corpus #{niahCorpus}" };
        if (settings.Lengths.Any(l => l < 200)) throw new ArgumentException("Context lengths must be at least 200 tokens.");
        if (settings.Depths.Any(d => d is < 0 or > 100)) throw new ArgumentException("Depths are percentages from 0 to 100.");
        if (string.IsNullOrWhiteSpace(settings.Needle) || string.IsNullOrWhiteSpace(settings.Question) || string.IsNullOrWhiteSpace(settings.Answer))
            throw new ArgumentException("The needle, question and answer must not be empty.");
        if (settings.Scoring == NiahScoring.Judge && settings.JudgeEndpointId is null
            && (string.IsNullOrWhiteSpace(settings.JudgeBaseUrl) || string.IsNullOrWhiteSpace(settings.JudgeModel)))
            throw new ArgumentException("LLM-judge scoring needs a judge: an endpoint from the table, or a base URL and model.");
        if (settings.Scoring == NiahScoring.Judge && settings.JudgeEndpointId is null && !Uri.TryCreate(settings.JudgeBaseUrl, UriKind.Absolute, out _))
            throw new ArgumentException($"The judge's '{settings.JudgeBaseUrl}' is not an absolute URL such as http://localhost:8000/v1.");
        EvaluationReach.Niah(settings, target);
        if (settings.Scoring == NiahScoring.Judge) settings = await WithJudgeEndpointAsync(settings, ct);
        return await CreateAsync(name, EvaluationKind.Niah, target, EvaluationJson.Write(settings),
            settings.Lengths.Count(l => l <= target.MaxLength) * settings.Depths.Count, enqueue, ct);
    }

    public async Task<EvaluationRun> CreateRulerAsync(string name, EvaluationTargetRequest target, RulerSettings settings, CancellationToken ct = default, bool enqueue = true)
    {
        target = Sandboxed(target);
        foreach (var task in settings.Tasks) RulerTask.Find(task);
        if (settings.HaystackCorpusId is { } rulerCorpus) settings = settings with { Haystack = $"corpus #{rulerCorpus}" };
        if (settings.Samples < 1) throw new ArgumentException("Samples per task must be at least 1.");
        if (settings.Lengths.Count == 0 || settings.Lengths.Any(l => l < 1024)) throw new ArgumentException("RULER lengths must be at least 1024 tokens.");
        if (settings.RequireAllTasks) await RequireAllTasksAsync(settings, ct);
        EvaluationReach.Ruler(settings, target, await UploadedQaKindsAsync(ct));
        return await CreateAsync(name, EvaluationKind.Ruler, target, EvaluationJson.Write(settings),
            RulerEvaluationRunnerItems(settings, target.MaxLength), enqueue, ct);
    }

    /// <summary>The judge as a row of the endpoints table; its key stays with the row, not in the run's settings.</summary>
    private async Task<NiahSettings> WithJudgeEndpointAsync(NiahSettings settings, CancellationToken ct)
    {
        var judge = settings.JudgeEndpointId is { } id
            ? await endpoints.FindAsync(id, ct)
            : await endpoints.EnsureAsync(settings.JudgeBaseUrl!, settings.JudgeModel!, targets.Unprotect(settings.ProtectedJudgeApiKey), 8192, ct);
        return settings with { JudgeEndpointId = judge.Id, JudgeBaseUrl = judge.BaseUrl, JudgeModel = judge.Model, ProtectedJudgeApiKey = null };
    }

    /// <summary>Refuses a run whose averages would cover fewer than the 13 tasks (tasks left out, QA data not uploaded).</summary>
    private async Task RequireAllTasksAsync(RulerSettings settings, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var uploaded = await db.QaDatasetFiles.Select(f => f.Kind).Distinct().ToListAsync(ct);
        var left = RulerTask.All.Where(t => !settings.Tasks.Contains(t.Name)).Select(t => t.Name).ToList();
        var noData = RulerTask.All.Where(t => settings.Tasks.Contains(t.Name) && t.Qa is { } kind
            && !uploaded.Contains(kind == QaDatasetKind.Squad ? QaDatasetKinds.Squad : QaDatasetKinds.HotpotQa)).ToList();
        if (left.Count == 0 && noData.Count == 0) return;
        var reasons = new List<string>();
        if (left.Count > 0) reasons.Add($"{string.Join(", ", left)} {(left.Count == 1 ? "is" : "are")} not selected");
        if (noData.Count > 0)
            reasons.Add($"{string.Join(", ", noData.Select(t => t.Name))} need{(noData.Count == 1 ? "s" : "")} the uploaded " +
                string.Join(" and ", noData.Select(t => t.Qa == QaDatasetKind.Squad ? "SQuAD v2 dev" : "HotpotQA dev (distractor)")) + " file");
        throw new ArgumentException($"This run requires all {RulerTask.All.Count} RULER tasks, but {string.Join("; ", reasons)}. " +
            "Select every task and upload the QA files, or allow a run over fewer tasks.");
    }

    /// <summary>
    /// Perplexity versus context length of a local checkpoint. Reads the checkpoint's config for its
    /// training length (max_position_embeddings): the dashed line, and the default lengths up to 4x it.
    /// </summary>
    public Task<EvaluationRun> CreatePerplexityAsync(string name, EvaluationTargetRequest target, PerplexitySettings settings, CancellationToken ct = default, bool enqueue = true)
    {
        if (target.Kind != EvaluationTargetKind.LocalCheckpoint)
            throw new ArgumentException("Perplexity is measured on a local checkpoint folder only: an endpoint returns no token log-likelihoods. Choose a local checkpoint target.");
        target = Sandboxed(target);
        LlamaConfig config;
        try
        {
            config = CheckpointFolder.LoadConfig(target.Location);
        }
        catch (Exception e) when (e is FileNotFoundException or System.Text.Json.JsonException or InvalidDataException)
        {
            throw new ArgumentException(e.Message);
        }
        if (settings.Lengths.Count == 0) settings = settings with { Lengths = PerplexitySettings.DefaultLengths(config.MaxPositionEmbeddings) };
        if (settings.HeldOutCorpusId is { } corpus) settings = settings with { HeldOut = $"corpus #{corpus}" };
        if (settings.Lengths.Any(l => l < 2)) throw new ArgumentException("Context lengths must be at least 2 tokens.");
        if (settings.Windows is < 1 or > 64) throw new ArgumentException("Windows per length must be between 1 and 64.");
        settings = settings with { Lengths = [.. settings.Lengths.Distinct().Order()] };
        target = target with { TrainingLength = target.TrainingLength ?? config.MaxPositionEmbeddings };
        EvaluationReach.Perplexity(settings.Lengths, target);
        return CreateAsync(name, EvaluationKind.Perplexity, target, EvaluationJson.Write(settings), settings.Lengths.Count(l => l <= target.MaxLength), enqueue, ct);
    }

    private static int RulerEvaluationRunnerItems(RulerSettings settings, int maxLength) => EvaluationRunner.Items(settings, maxLength, null).Count();

    /// <summary>
    /// The target with its checkpoint folder replaced by its real path, or the sandbox's one
    /// message (an ArgumentException, like every other refusal here). The target's tokenizer is
    /// only a label for the run (it is never opened), so it needs no check.
    /// </summary>
    private EvaluationTargetRequest Sandboxed(EvaluationTargetRequest target) =>
        target.Kind == EvaluationTargetKind.LocalCheckpoint
            ? target with { Location = paths.Resolve(target.Location, ServerPathKind.Folder) ?? throw new ArgumentException(ServerPaths.Refusal(ServerPathKind.Folder)) }
            : target;

    /// <summary>The judge's API key protected like the target's, for <see cref="NiahSettings.ProtectedJudgeApiKey"/>.</summary>
    public string? ProtectApiKey(string? apiKey) => targets.Protect(apiKey);

    /// <param name="enqueue">False when the caller runs the job itself (a command-line verb that waits).</param>
    private async Task<EvaluationRun> CreateAsync(string name, EvaluationKind kind, EvaluationTargetRequest target, string settings, int total, bool enqueue, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("Give the evaluation a name.");
        var local = target.Kind == EvaluationTargetKind.LocalCheckpoint;
        var endpoint = !local && target.EndpointId is { } id ? await endpoints.FindAsync(id, ct) : null;
        if (endpoint is not null)
            target = target with { Location = endpoint.BaseUrl!, Model = endpoint.Model!, ApiKey = targets.Unprotect(endpoint.ProtectedApiKey) };
        if (target.MaxLength < 1) throw new ArgumentException("The target's maximum length must be positive.");
        if (target.Kind != EvaluationTargetKind.LocalCheckpoint && !Uri.TryCreate(target.Location, UriKind.Absolute, out _))
            throw new ArgumentException($"'{target.Location}' is not an absolute URL such as http://localhost:8000/v1.");
        ChatTemplates.Apply(target.ChatTemplate, "", "");
        if (target.Kind != EvaluationTargetKind.LocalCheckpoint
            && targets.TokenizerProblem(target.Tokenizer, target.Location, target.Model, target.ApiKey) is { } problem)
            throw new ArgumentException($"Tokenizer '{target.Tokenizer}': {problem}");
        if (!local) endpoint ??= await endpoints.EnsureAsync(target.Location, target.Model, target.ApiKey, target.MaxLength, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = new EvaluationRun
        {
            Name = name.Trim(), Kind = kind, Status = RunStatus.Queued,
            TargetKind = target.Kind, EndpointId = endpoint?.Id, TargetLocation = target.Location, Model = target.Model,
            ChatTemplate = target.ChatTemplate,
            Tokenizer = target.Tokenizer, MaxLength = target.MaxLength, TrainingLength = target.TrainingLength,
            SettingsJson = settings, TotalItems = total,
        };
        db.EvaluationRuns.Add(run);
        await db.SaveChangesAsync(ct);
        run.HangfireJobId = enqueue ? jobs.Enqueue<EvaluationJob>(job => job.RunAsync(run.Id, CancellationToken.None)) : Runs.RunHere.Marker;
        await db.SaveChangesAsync(ct);
        progress.Publish(ProgressFeatures.Evaluation, run.Id);
        return run;
    }

    /// <summary>Asks a queued or running run to stop; scored cells, samples and lengths are kept.</summary>
    public async Task<bool> CancelAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.EvaluationRuns.SingleOrDefaultAsync(r => r.Id == id, ct);
        if (run is null || !RunControl.RequestCancel(run, jobs)) return false;
        await db.SaveChangesAsync(ct);
        // Other open pages see the change now, not at their next safety refresh.
        progress.Publish(ProgressFeatures.Evaluation, id);
        return true;
    }

    /// <summary>Puts a cancelled or failed run back on the queue; it skips what is already scored.</summary>
    public async Task<bool> ResumeAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.EvaluationRuns.SingleOrDefaultAsync(r => r.Id == id, ct);
        if (run is null || run.Imported || !RunControl.Requeue(run, RunStatus.Cancelled, RunStatus.Failed, RunStatus.Succeeded)) return false;
        await db.SaveChangesAsync(ct);
        run.HangfireJobId = jobs.Enqueue<EvaluationJob>(job => job.RunAsync(run.Id, CancellationToken.None));
        await db.SaveChangesAsync(ct);
        progress.Publish(ProgressFeatures.Evaluation, id);
        return true;
    }
}
