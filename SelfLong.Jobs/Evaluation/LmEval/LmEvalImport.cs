using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Progress;

namespace SelfLong.Jobs.Evaluation.LmEval;

/// <summary>What an imported lm-eval run holds, stored as its settings (shown in the compare view's configuration table).</summary>
public sealed record LmEvalSettings
{
    public IReadOnlyList<string> Files { get; init; } = [];
    public IReadOnlyList<string> Tasks { get; init; } = [];
}

/// <summary>
/// Imports lm-evaluation-harness results files as one evaluation run per checkpoint (the paper's
/// Table 4: what a checkpoint lost on short tasks), so the compare view can put them beside the base model's.
/// </summary>
public sealed class LmEvalImport(IDbContextFactory<SelfLongDbContext> dbFactory, ProgressPublisher progress)
{
    /// <summary>
    /// One run from one or more results files (the harness writes one per invocation). When two
    /// files score the same task, metric and filter, the newer file (by its "date") is kept.
    /// Without a name, the run is named after the model the files name.
    /// </summary>
    public async Task<EvaluationRun> ImportAsync(string name, IReadOnlyList<(string FileName, Stream Json)> files, CancellationToken ct = default)
    {
        if (files.Count == 0) throw new ArgumentException("Choose at least one results_*.json file.");
        var parsed = files.Select(f => LmEvalResults.Parse(f.FileName, f.Json)).ToList();
        var scores = parsed.OrderByDescending(f => f.Date ?? double.MinValue)
            .SelectMany(f => f.Scores).GroupBy(s => (s.Task, s.Metric, s.Filter)).Select(g => g.First()).ToList();
        var models = parsed.Select(f => f.Model).OfType<string>().Distinct().ToList();
        if (string.IsNullOrWhiteSpace(name))
            name = models.Count == 1 ? models[0] : throw new ArgumentException("Give the imported run a name (the checkpoint it scores): the files do not name one model.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = new EvaluationRun
        {
            Name = name.Trim(), Kind = EvaluationKind.LmEval, Status = RunStatus.Succeeded, Imported = true,
            TargetKind = EvaluationTargetKind.OpenAiCompletions, Model = models.Count == 0 ? "imported lm-eval results" : string.Join(", ", models),
            SettingsJson = EvaluationJson.Write(new LmEvalSettings
            {
                Files = [.. parsed.Select(f => f.FileName)], Tasks = [.. scores.Select(s => s.Task).Distinct().Order()],
            }),
            TotalItems = scores.Count, DoneItems = scores.Count, StartedAt = DateTimeOffset.UtcNow, CompletedAt = DateTimeOffset.UtcNow,
            Message = $"Imported from lm-evaluation-harness ({string.Join(", ", parsed.Select(f => f.FileName))}): scores as the harness reported them.",
            LmEvalScores = scores,
        };
        db.EvaluationRuns.Add(run);
        await db.SaveChangesAsync(ct);
        progress.Publish(ProgressFeatures.Evaluation, run.Id);
        return run;
    }

    public async Task<IReadOnlyList<LmEvalScore>> ScoresAsync(long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.LmEvalScores.AsNoTracking().Where(s => s.RunId == runId)
            .OrderBy(s => s.Task).ThenBy(s => s.Metric).ThenBy(s => s.Filter).ToListAsync(ct);
    }
}
