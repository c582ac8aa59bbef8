using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Demo;
using SelfLong.Jobs.Hosting;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Demo;

/// <summary>One run the demo started, as its chip shows it: what it is, its page, and its status.</summary>
public sealed record DemoStepRun(string Label, string Href, RunStatus Status);

/// <summary>Starts the demo as a Hangfire job and reads where it is.</summary>
public sealed class DemoService(IDbContextFactory<SelfLongDbContext> dbFactory, IBackgroundJobClient jobs)
{
    public async Task<DemoRun> CreateAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var demo = new DemoRun { Status = RunStatus.Queued };
        db.DemoRuns.Add(demo);
        await db.SaveChangesAsync(ct);
        return demo;
    }

    /// <summary>Creates a demo run and enqueues the job that chains the steps.</summary>
    public async Task<DemoRun> StartAsync(CancellationToken ct = default)
    {
        var demo = await CreateAsync(ct);
        jobs.Enqueue<DemoJob>(job => job.RunAsync(demo.Id, CancellationToken.None));
        return demo;
    }

    public async Task<DemoRun?> LatestAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.DemoRuns.AsNoTracking().OrderByDescending(d => d.Id).FirstOrDefaultAsync(ct);
    }

    /// <summary>Every run the demo started so far, in the order it started them: ingestion, synthesis, training, evaluations.</summary>
    public async Task<IReadOnlyList<DemoStepRun>> RunsAsync(DemoRun demo, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var runs = new List<DemoStepRun>();
        if (demo.CorpusId is { } corpusId)
        {
            // The demo ingests right after it starts, and only into a new or empty corpus (a loaded one is
            // reused, with no ingestion): the corpus's first ingestion since the demo began is the demo's.
            var ingestion = await db.IngestionRuns.AsNoTracking().Where(r => r.CorpusId == corpusId && r.CreatedAt >= demo.CreatedAt)
                .OrderBy(r => r.Id).Select(r => (RunStatus?)r.Status).FirstOrDefaultAsync(ct);
            if (ingestion is { } status) runs.Add(new("Ingestion", $"/corpora/{corpusId}", status));
        }
        if (demo.SynthesisRunId is { } synthesisId
            && await db.SynthesisRuns.AsNoTracking().Where(r => r.Id == synthesisId).Select(r => (RunStatus?)r.Status).SingleOrDefaultAsync(ct) is { } synthesis)
            runs.Add(new("Synthesis", $"/synthesis/runs/{synthesisId}", synthesis));
        if (demo.TrainingRunId is { } trainingId
            && await db.TrainingRuns.AsNoTracking().Where(r => r.Id == trainingId).Select(r => (RunStatus?)r.Status).SingleOrDefaultAsync(ct) is { } training)
            runs.Add(new("Training", $"/training/{trainingId}", training));
        var ids = Ids(demo.NiahRunIds).Concat(Ids(demo.RulerRunIds)).ToList();
        var evaluations = await db.EvaluationRuns.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.Name, r.Status }).ToListAsync(ct);
        // Names read "Demo 7 NIAH: stage 2 (...)"; the panel already says which demo.
        var prefix = $"Demo {demo.Id} ";
        runs.AddRange(evaluations.OrderBy(r => ids.IndexOf(r.Id))
            .Select(r => new DemoStepRun(r.Name.StartsWith(prefix, StringComparison.Ordinal) ? r.Name[prefix.Length..] : r.Name, $"/evaluation/{r.Id}", r.Status)));
        return runs;
    }

    public static IEnumerable<long> Ids(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse);

    /// <summary>The comparison view of a finished demo: every NIAH run side by side.</summary>
    public static string CompareUrl(DemoRun demo) => $"/evaluation/compare?ids={demo.NiahRunIds}";
}
