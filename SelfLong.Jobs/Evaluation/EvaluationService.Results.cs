using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation.Ruler;

namespace SelfLong.Jobs.Evaluation;

/// <summary>Reading runs and what they scored, for the pages, the API and exports.</summary>
public sealed partial class EvaluationService
{
    public async Task<EvaluationRun?> FindAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.EvaluationRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
    }

    public async Task<IReadOnlyList<EvaluationRun>> ListAsync(int skip = 0, int take = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.EvaluationRuns.AsNoTracking().OrderByDescending(r => r.Id).Skip(skip).Take(take).ToListAsync(ct);
    }

    public async Task<int> CountAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.EvaluationRuns.CountAsync(ct);
    }

    public async Task<IReadOnlyList<NiahCell>> NiahCellsAsync(long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.NiahCells.AsNoTracking().Where(c => c.RunId == runId).OrderBy(c => c.ContextLength).ThenBy(c => c.DepthPercent).ToListAsync(ct);
    }

    /// <summary>One scored cell of a NIAH run; null when that cell has not been scored.</summary>
    public async Task<NiahCell?> NiahCellAsync(long runId, int contextLength, int depthPercent, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.NiahCells.AsNoTracking().SingleOrDefaultAsync(c => c.RunId == runId && c.ContextLength == contextLength && c.DepthPercent == depthPercent, ct);
    }

    public async Task<IReadOnlyList<PerplexityLengthResult>> PerplexityLengthsAsync(long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PerplexityLengths.AsNoTracking().Where(p => p.RunId == runId).OrderBy(p => p.ContextLength).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<RulerSampleResult>> RulerSamplesAsync(long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RulerSamples.AsNoTracking().Where(s => s.RunId == runId)
            .OrderBy(s => s.Task).ThenBy(s => s.Length).ThenBy(s => s.Index).ToListAsync(ct);
    }

    /// <summary>RULER's summary of a run: task scores (mean x100) per length, averages, effective length.</summary>
    public async Task<RulerSummary> RulerSummaryAsync(long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scores = await db.RulerSamples.Where(s => s.RunId == runId).GroupBy(s => new { s.Task, s.Length })
            .Select(g => new { g.Key.Task, g.Key.Length, Score = g.Average(s => s.Score) * 100 }).ToListAsync(ct);
        return RulerSummary.From(scores.ToDictionary(s => (s.Task, s.Length), s => s.Score));
    }
}
