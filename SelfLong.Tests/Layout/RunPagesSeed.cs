using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Data.Runs;
using SelfLong.Data.Synthesis;
using SelfLong.Data.Training;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Synthesis;
using SelfLong.Jobs.Training;

namespace SelfLong.Tests.Layout;

/// <summary>
/// Finished rows for the run pages the layout test opens: a corpus with an ingestion, a synthesis run
/// from it, and a training run with step metrics (so the loss chart draws) and checkpoints in long folders.
/// Only finished runs: the run reaper would pick up queued or running rows that have no job.
/// </summary>
internal static class RunPagesSeed
{
    public static async Task<(long Corpus, long Synthesis, long Training, string TrainingName)> CreateAsync(IServiceProvider services, CancellationToken ct)
    {
        var (corpus, errors) = await services.GetRequiredService<CorpusService>().CreateAsync(new CorpusSettings { Name = $"Layout corpus: essays and manuals {Guid.NewGuid():N}" }, ct);
        Assert.Empty(errors);
        var extractive = await services.GetRequiredService<ModelEndpointService>().EnsureExtractiveAsync(ct);
        var folder = Path.Combine(Path.GetTempPath(), $"selflong-layout-{Guid.NewGuid():N}", "progressive-run-with-a-long-folder-name");
        var name = $"Layout training: SelfLong-Tiny from 256 to 1024 bytes, theta 10000 to 160000 {Guid.NewGuid():N}";
        var synthesis = new SynthesisRun
        {
            Name = $"Layout synthesis: extractive instructions from essays {Guid.NewGuid():N}", CorpusId = corpus!.Id, EndpointId = extractive.Id,
            GeneratorLabel = "extractive", IsExtractive = true, SettingsJson = new SynthesisSettings().ToJson(), TemplatesJson = PromptTemplates.Default.ToJson(),
            Tokenizer = "bytes", Status = RunStatus.Succeeded,
        };
        var training = new TrainingRun
        {
            Name = name, Status = RunStatus.Succeeded, TotalSteps = 30, CurrentStep = 30, CurrentStage = 2, OutputDirectory = folder,
            SpecJson = new TrainingRunSpec { Stages = [new(256, 10_000, 10, 1e-3), new(512, 40_000, 10, 1e-3), new(1024, 160_000, 10, 1e-3)] }.ToJson(),
            Checkpoints = [.. Enumerable.Range(0, 3).Select(s => new TrainingCheckpoint
            {
                Path = Path.Combine(folder, $"step-{(s + 1) * 10:000000}"), GlobalStep = (s + 1) * 10, Stage = s, StageEnd = true,
                RopeTheta = 10_000 * Math.Pow(4, s), MaxLength = 256 << s,
            })],
        };
        await using var db = await services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct);
        db.AddRange(new IngestionRun { CorpusId = corpus.Id, Status = RunStatus.Succeeded }, synthesis, training);
        await db.SaveChangesAsync(ct);
        // A loss that falls from about 3 to about 1 with some noise, as a short run's does.
        db.TrainingStepMetrics.AddRange(Enumerable.Range(1, 30).Select(step => new TrainingStepMetric
        {
            RunId = training.Id, GlobalStep = step, Stage = (step - 1) / 10, Loss = 1 + 2 * Math.Exp(-step / 8.0) + 0.05 * Math.Sin(step),
            LearningRate = 1e-3, TokensPerSecond = 5_000, PeakMemoryBytes = 64L << 20, GradNorm = 1,
        }));
        await db.SaveChangesAsync(ct);
        return (corpus.Id, synthesis.Id, training.Id, name);
    }
}
