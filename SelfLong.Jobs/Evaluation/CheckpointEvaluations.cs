using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Training;
using SelfLong.Jobs.Storage;

namespace SelfLong.Jobs.Evaluation;

/// <summary>The training checkpoint an evaluation measured: its run, stage and step.</summary>
public sealed record CheckpointOrigin(long TrainingRunId, string TrainingRunName, long CheckpointId, int Stage, int GlobalStep, bool StageEnd);

/// <summary>
/// One evaluation of a training run's checkpoint, with its score per context length: NIAH's mean cell
/// score (0..1), RULER's average over its tasks (0..100), or perplexity (lower is better).
/// </summary>
public sealed record CheckpointEvaluation(EvaluationRun Run, TrainingCheckpoint Checkpoint, IReadOnlyList<(int Length, double Score)> Scores);

/// <summary>
/// Which evaluations measured which training checkpoints. The link is the checkpoint folder itself:
/// an evaluation of a local checkpoint stores the folder's real path and a training run stores the
/// folders it wrote, so comparing real paths links an evaluation started from a checkpoint row, the
/// form, the API, the command line or the demo alike, with no second record to keep in step.
/// </summary>
public sealed class CheckpointEvaluations(IDbContextFactory<SelfLongDbContext> dbFactory)
{
    public async Task<CheckpointOrigin?> OriginAsync(EvaluationRun run, CancellationToken ct = default)
    {
        if (run.TargetKind != EvaluationTargetKind.LocalCheckpoint || string.IsNullOrEmpty(run.TargetLocation)) return null;
        var location = run.TargetLocation;
        var folder = "/" + Path.GetFileName(location.TrimEnd('/'));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Same path, or the same folder name reached another way (a runs directory behind a link).
        var candidates = await db.TrainingCheckpoints.AsNoTracking()
            .Where(c => c.Path == location || c.Path.EndsWith(folder))
            .Join(db.TrainingRuns, c => c.RunId, r => r.Id, (c, r) => new { Checkpoint = c, r.Name })
            .OrderBy(x => x.Checkpoint.Id).ToListAsync(ct);
        var match = candidates.FirstOrDefault(x => x.Checkpoint.Path == location) ?? candidates.FirstOrDefault(x => RealOrSelf(x.Checkpoint.Path) == location);
        return match is null ? null
            : new CheckpointOrigin(match.Checkpoint.RunId, match.Name, match.Checkpoint.Id, match.Checkpoint.Stage, match.Checkpoint.GlobalStep, match.Checkpoint.StageEnd);
    }

    /// <summary>Every evaluation of the run's checkpoints, oldest first.</summary>
    public async Task<IReadOnlyList<CheckpointEvaluation>> OfTrainingRunAsync(long trainingRunId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var checkpoints = await db.TrainingCheckpoints.AsNoTracking().Where(c => c.RunId == trainingRunId).ToListAsync(ct);
        var byLocation = new Dictionary<string, TrainingCheckpoint>(StringComparer.Ordinal);
        foreach (var c in checkpoints)
        {
            byLocation.TryAdd(c.Path, c);
            byLocation.TryAdd(RealOrSelf(c.Path), c);
        }
        var locations = byLocation.Keys.ToList();
        var runs = await db.EvaluationRuns.AsNoTracking()
            .Where(r => r.TargetKind == EvaluationTargetKind.LocalCheckpoint && r.TargetLocation != null && locations.Contains(r.TargetLocation))
            .OrderBy(r => r.Id).ToListAsync(ct);
        var ids = runs.Select(r => r.Id).ToList();
        var niah = await db.NiahCells.Where(c => ids.Contains(c.RunId)).GroupBy(c => new { c.RunId, c.ContextLength })
            .Select(g => new { g.Key.RunId, Length = g.Key.ContextLength, Score = g.Average(c => c.Score) }).ToListAsync(ct);
        // RULER's average at a length: the mean over tasks of each task's mean sample score, in percent (RulerSummary's convention).
        var ruler = (await db.RulerSamples.Where(s => ids.Contains(s.RunId)).GroupBy(s => new { s.RunId, s.Length, s.Task })
                .Select(g => new { g.Key.RunId, g.Key.Length, Score = g.Average(s => s.Score) * 100 }).ToListAsync(ct))
            .GroupBy(t => new { t.RunId, t.Length }).Select(g => new { g.Key.RunId, g.Key.Length, Score = g.Average(t => t.Score) });
        var perplexity = await db.PerplexityLengths.Where(p => ids.Contains(p.RunId))
            .Select(p => new { p.RunId, Length = p.ContextLength, p.MeanNll }).ToListAsync(ct);
        var scores = niah.Select(n => (n.RunId, n.Length, n.Score))
            .Concat(ruler.Select(r => (r.RunId, r.Length, r.Score)))
            .Concat(perplexity.Select(p => (p.RunId, p.Length, Score: Math.Exp(p.MeanNll))))
            .ToLookup(s => s.RunId, s => (s.Length, s.Score));
        return [.. runs.Select(r => new CheckpointEvaluation(r, byLocation[r.TargetLocation!], [.. scores[r.Id].OrderBy(s => s.Length)]))];
    }

    /// <summary>A folder deleted since it was written has no real path; its stored one still names it.</summary>
    private static string RealOrSelf(string path) => ServerPaths.RealPath(path) ?? path;
}
