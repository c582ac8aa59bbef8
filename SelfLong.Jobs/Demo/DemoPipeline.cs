using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Data.Demo;
using SelfLong.Data.Synthesis;
using SelfLong.Data.Training;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Synthesis;
using SelfLong.Jobs.Text;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.Training.Drills;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Demo;

/// <summary>
/// The whole method on built-in parts only: ingest the sample corpus, synthesize long-context data
/// with the extractive generator, train SelfLong-Tiny with a progressive schedule, then run NIAH
/// and RULER on every stage's checkpoint and on a "theta raised, no training" control (the paper's
/// ablation), so an effect can be credited to the stages. Each step is an ordinary run of its own
/// feature (visible on its page); this class only chains them and waits.
/// </summary>
public sealed partial class DemoPipeline(
    IDbContextFactory<SelfLongDbContext> dbFactory,
    DemoCorpora demoCorpora,
    IngestionService ingestion,
    ModelEndpointService endpoints,
    SynthesisRunService synthesis,
    TrainingRunService training,
    EvaluationService evaluation,
    ProgressPublisher progress,
    IOptions<DemoOptions> options)
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private DemoOptions Options => options.Value;

    public async Task RunAsync(long demoId, Action<string>? report, CancellationToken ct)
    {
        try
        {
            var corpusId = await IngestAsync(demoId, report, ct);
            var synthesisRunId = await SynthesizeAsync(demoId, corpusId, report, ct);
            var (stages, runFolder) = await TrainAsync(demoId, corpusId, synthesisRunId, report, ct);
            string? unfinished = null;
            if (Options.TrainBaseTo is not null) await SaveBaseAsync(demoId, stages[0], report, ct);
            else unfinished = await EvaluateAsync(demoId, stages, runFolder, report, ct);
            await UpdateAsync(demoId, d => { d.Status = RunStatus.Succeeded; d.Step = "done"; d.CompletedAt = DateTimeOffset.UtcNow; d.Message = unfinished; }, ct);
            report?.Invoke("done");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await UpdateAsync(demoId, d => { d.Status = RunStatus.Failed; d.Message = e.Message; d.CompletedAt = DateTimeOffset.UtcNow; }, CancellationToken.None);
            throw;
        }
    }

    private async Task<long> IngestAsync(long demoId, Action<string>? report, CancellationToken ct)
    {
        await StepAsync(demoId, "ingest", $"Ingesting the {Options.CorpusName} sample corpus", report, ct);
        var sample = DemoCorpora.Samples.FirstOrDefault(s => s.Name == Options.CorpusName)
            ?? throw new InvalidOperationException($"'{Options.CorpusName}' is not one of the sample corpora.");
        var (corpusId, run) = await demoCorpora.LoadOneAsync(sample, ct);
        await UpdateAsync(demoId, d => d.CorpusId = corpusId, ct);
        if (run is not null)
        {
            var done = await WaitAsync(() => ingestion.FindAsync(run.Id, ct), r => r!.Status is not (RunStatus.Queued or RunStatus.Running), ct);
            if (done!.Status != RunStatus.Succeeded) throw new InvalidOperationException($"Ingesting {sample.Name} ended {done.Status}.");
        }
        return corpusId;
    }

    private async Task<long> SynthesizeAsync(long demoId, long corpusId, Action<string>? report, CancellationToken ct)
    {
        await StepAsync(demoId, "synthesize", $"Synthesizing {Options.Samples} samples with the built-in extractive generator", report, ct);
        var extractive = await endpoints.EnsureExtractiveAsync(ct);
        var settings = new SynthesisSettings
        {
            // Lengths in SelfLong-Tiny's own tokens (bytes): from the second stage's length to twice the last's.
            TargetTokenizer = TokenCounters.Bytes,
            MinTargetTokens = Options.FirstLength * 2,
            MaxTargetTokens = Options.FirstLength << Options.Stages,
            TopK = 8, ChunkTokens = 1024, SummaryTokens = 128, ResponseTokens = 128,
            // Moby-Dick chapters run from about a thousand to tens of thousands of bytes.
            LongOutputMinTokens = 1024, LongOutputMaxTokens = 32_768,
        };
        var (run, errors) = await synthesis.CreateAsync(new NewSynthesisRun(
            $"Demo {demoId}: extractive synthesis", corpusId, extractive.Id, Options.Samples, Options.Seed, settings), ct);
        if (run is null) throw new InvalidOperationException(string.Join(" ", errors.SelectMany(e => e.Value)));
        await UpdateAsync(demoId, d => d.SynthesisRunId = run.Id, ct);
        await synthesis.StartAsync(run.Id, ct);
        var done = await WaitAsync(() => synthesis.FindAsync(run.Id, ct), r => r!.Status is RunStatus.Succeeded or RunStatus.Cancelled, ct);
        if (done!.Status != RunStatus.Succeeded) throw new InvalidOperationException($"Synthesis ended {done.Status}: {done.Error}");
        return run.Id;
    }

    /// <summary>A checkpoint the demo evaluates: a stage's, or the theta-only control.</summary>
    private sealed record DemoTarget(string Name, string Folder, int TrainedLength, double RopeTheta);

    /// <summary>Trains the stages; returns every stage's checkpoint, the first included, and the run's folder.</summary>
    private async Task<(IReadOnlyList<DemoTarget> Stages, string RunFolder)> TrainAsync(long demoId, long corpusId, long synthesisRunId, Action<string>? report, CancellationToken ct)
    {
        var paper = ProgressiveSchedule.PaperRule(Options.FirstLength, Options.FirstTheta, Options.Stages, Options.StepsPerStage, Options.LearningRate).Stages;
        var trainBase = Options.TrainBaseTo is not null;
        var baseFolder = trainBase ? null : Options.ResolveBase();
        IReadOnlyList<TrainingStage> stages = trainBase ? [paper[0] with { Steps = Options.BaseSteps }]
            : baseFolder is not null ? [.. paper.Skip(1)]
            : paper;
        var from = baseFolder is null ? "from scratch" : "from the shipped stage-1 checkpoint";
        await StepAsync(demoId, "train",
            $"Training SelfLong-Tiny {from}: {string.Join(" -> ", stages.Select(s => $"{s.MaxLength} bytes @ theta {s.RopeTheta:g}"))}", report, ct);
        var spec = new TrainingRunSpec
        {
            Base = baseFolder ?? TrainingRunSpec.TinyBase,
            // The synthesized samples; the corpus's own text, so a model trained from scratch learns
            // the language rather than memorizing two dozen samples; and pass-key drills, so it
            // learns retrieval at each stage's length (the demo's needle).
            SynthesisRuns = [new SynthesisDataSpec(synthesisRunId)],
            CorpusText = [new CorpusTextSpec(corpusId, Options.CorpusTextWeight)],
            NeedleDrills = [new NeedleDrillSpec(corpusId, Options.DrillWeight, Options.DrillsPerLength), .. RulerDrills(corpusId, trainBase)],
            Stages = stages,
            Options = new TrainingOptions { Seed = Options.Seed, BatchSize = Options.BatchSize, WarmupSteps = 20, CheckpointEvery = trainBase ? 250 : 0 },
        };
        var run = await training.CreateAsync($"Demo {demoId}: SelfLong-Tiny, {(trainBase ? "stage 1 (base)" : $"{stages.Count} stages {from}")}", spec, ct);
        await UpdateAsync(demoId, d => d.TrainingRunId = run.Id, ct);
        var done = await WaitAsync(() => training.FindAsync(run.Id, ct), r => r!.Status is not (RunStatus.Queued or RunStatus.Running), ct);
        if (done!.Status != RunStatus.Succeeded) throw new InvalidOperationException($"Training ended {done.Status}: {done.Message}");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ends = await db.TrainingCheckpoints.AsNoTracking().Where(c => c.RunId == run.Id && c.StageEnd).OrderBy(c => c.Stage).ToListAsync(ct);
        if (ends.Count == 0) throw new InvalidOperationException("Training registered no stage checkpoints.");
        var first = baseFolder is null ? 0 : 1;
        List<DemoTarget> targets = [.. ends.Select(c => new DemoTarget(StageName(c.Stage + first, c.MaxLength, c.RopeTheta), c.Path, c.MaxLength, c.RopeTheta))];
        if (baseFolder is not null)
        {
            var config = CheckpointFolder.LoadConfig(baseFolder);
            targets.Insert(0, new DemoTarget(StageName(0, config.MaxPositionEmbeddings, config.RopeTheta) + ", shipped", baseFolder, config.MaxPositionEmbeddings, config.RopeTheta));
        }
        return (targets, done.OutputDirectory);
    }

    /// <summary>RULER-format drills for the live stages; none for the base, whose 256 bytes hold no RULER template.</summary>
    private IEnumerable<NeedleDrillSpec> RulerDrills(long corpusId, bool trainBase) =>
        trainBase || Options.RulerDrillWeight <= 0 ? []
            : [new NeedleDrillSpec(corpusId, Options.RulerDrillWeight, Options.RulerDrillsPerLength, NeedleDrillFormat.Ruler)];

    private static string StageName(int stage, int length, double theta) => $"stage {stage + 1} ({length} bytes, theta {theta:g})";

    /// <summary>Copies the model files of stage 1 (not the optimizer or trainer state) to the base folder.</summary>
    private async Task SaveBaseAsync(long demoId, DemoTarget stage1, Action<string>? report, CancellationToken ct)
    {
        var to = Path.GetFullPath(Options.TrainBaseTo!);
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(stage1.Folder).Where(f => Path.GetFileName(f) is not (TrainerState.FileName or TrainerState.OptimizerFile)))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        await StepAsync(demoId, "base", $"Saved the stage-1 base to {to}", report, ct);
    }

    private async Task StepAsync(long demoId, string step, string message, Action<string>? report, CancellationToken ct)
    {
        report?.Invoke(message);
        await UpdateAsync(demoId, d => { d.Status = RunStatus.Running; d.Step = step; d.Message = message; }, ct);
    }

    private async Task UpdateAsync(long demoId, Action<DemoRun> change, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var demo = await db.DemoRuns.SingleAsync(d => d.Id == demoId, ct);
        change(demo);
        await db.SaveChangesAsync(ct);
        progress.Publish(ProgressFeatures.Demo, demoId);
    }

    private static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> finished, CancellationToken ct)
    {
        while (true)
        {
            var value = await read();
            if (value is not null && finished(value)) return value;
            await Task.Delay(Poll, ct);
        }
    }
}
