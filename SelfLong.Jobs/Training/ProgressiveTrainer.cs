using System.Diagnostics;
using System.Text.Json.Serialization;
using SelfLong.Jobs.Models;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Training;

/// <summary>Logged after every optimizer step (named as in Hugging Face's log history, where one exists).</summary>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] // a diverged step's NaN loss is kept, not refused
public sealed record StepMetrics(
    [property: JsonPropertyName("step")] int GlobalStep,
    [property: JsonPropertyName("stage")] int Stage,
    [property: JsonPropertyName("step_in_stage")] int StepInStage,
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("learning_rate")] double LearningRate,
    [property: JsonPropertyName("tokens_per_second")] double TokensPerSecond,
    [property: JsonPropertyName("peak_memory_bytes")] long PeakMemoryBytes,
    [property: JsonPropertyName("grad_norm")] double GradNorm)
{
    /// <summary>Samples cut or skipped to fit their stage, over the whole run so far (resumes included); a checkpoint keeps it once, not per step.</summary>
    [JsonIgnore]
    public TruncationCounts Truncation { get; init; }
}

/// <summary>A checkpoint folder written by the trainer (a Hugging Face folder plus resume state).</summary>
public sealed record SavedCheckpoint(string Path, int GlobalStep, int Stage, bool StageEnd, double RopeTheta, int MaxLength);

/// <summary>
/// Trains a model through a <see cref="ProgressiveSchedule"/>: at each stage the RoPE base and
/// length change, the learning rate warms up and decays again, and a checkpoint is saved at the
/// stage's end (and every N steps). Checkpoints resume exactly: same next batches, same losses.
/// </summary>
public sealed class ProgressiveTrainer(
    LlamaForCausalLM model,
    ITextTokenizer tokenizer,
    IReadOnlyList<(IReadOnlyList<TrainingSample> Samples, double Weight)> data,
    ProgressiveSchedule schedule,
    TrainingOptions options,
    string outputDir,
    string? tokenizerSource = null)
{
    public const string CheckpointsFolder = "checkpoints";

    public Action<StepMetrics>? OnStep { get; init; }

    public Action<SavedCheckpoint>? OnCheckpoint { get; init; }

    /// <summary>Run totals of <see cref="Batch.Truncation"/>, saved with each checkpoint.</summary>
    private TruncationCounts truncation;

    /// <summary>Every step's metrics so far (resumes included), saved with each checkpoint.</summary>
    private readonly List<StepMetrics> logHistory = [];

    /// <summary>The newest resumable checkpoint under a run's output folder, if any.</summary>
    /// <remarks>
    /// The trainer names its folders by global step (its Save), so states are
    /// read newest first until one loads: each holds the run's whole log history, and reading every
    /// one would cost checkpoints x steps. A folder named otherwise is placed by its state's step.
    /// </remarks>
    public static string? LatestCheckpoint(string outputDir) => Latest(outputDir)?.Dir;

    /// <summary>The newest resumable checkpoint and its state, read once.</summary>
    public static (string Dir, TrainerState State)? Latest(string outputDir)
    {
        var root = Path.Combine(outputDir, CheckpointsFolder);
        if (!Directory.Exists(root)) return null;
        // A .partial folder is a checkpoint the trainer did not finish writing: never resumed from.
        var newestFirst = Directory.EnumerateDirectories(root)
            .Where(d => !d.EndsWith(CheckpointWriter.PartialSuffix, StringComparison.Ordinal))
            .Select(d => (Dir: d, Step: StepInName(d) ?? TrainerState.TryLoad(d)?.GlobalStep ?? -1))
            .Where(c => c.Step >= 0)
            .OrderByDescending(c => c.Step);
        foreach (var (dir, _) in newestFirst)
            if (TrainerState.TryLoad(dir) is { } state) return (dir, state);
        return null;
    }

    /// <summary>The global step in a folder name the trainer gave (<c>step-000012</c>, <c>stage-1-step-000030</c>).</summary>
    private static int? StepInName(string dir)
    {
        var name = Path.GetFileName(dir);
        var at = name.LastIndexOf("step-", StringComparison.Ordinal);
        return at >= 0 && (at == 0 || name[at - 1] == '-') && int.TryParse(name.AsSpan(at + 5), System.Globalization.NumberStyles.None, null, out var step)
            ? step : null;
    }

    public void Run(CancellationToken ct, string? resumeFrom = null)
    {
        schedule.Validate();
        var device = model.Device;
        model.SetComputeType(options.ComputeType(device));
        model.LongSequence = new LongSequence(options.CheckpointAboveTokens, options.ChunkTokens);
        model.train();

        TrainerState? resume = null;
        if (resumeFrom is not null)
        {
            resume = TrainerState.Load(resumeFrom);
            if (resume.Seed != options.Seed)
                throw new InvalidOperationException($"The checkpoint was trained with seed {resume.Seed}, not {options.Seed}; resume with the same options.");
            CheckpointFolder.LoadWeights(model, resumeFrom);
        }
        truncation = resume?.Truncation ?? default;
        logHistory.AddRange(resume?.LogHistory ?? []);
        var stream = new SampleStream(data, options.Seed, resume is null ? null : new SampleStreamState(resume.StreamDraws, resume.StreamTaken));
        var builder = new BatchBuilder(tokenizer, options.Loss);
        using var optimizer = new AdamW(model.named_parameters(), options);
        if (resume is not null) optimizer.Load(Path.Combine(resumeFrom!, TrainerState.OptimizerFile), resume.OptimizerStep);

        var globalStep = resume?.GlobalStep ?? 0;
        for (var stageIndex = resume?.Stage ?? 0; stageIndex < schedule.Stages.Count; stageIndex++)
        {
            var stage = schedule.Stages[stageIndex];
            model.SetRope(stage.RopeTheta, stage.MaxLength);
            var steps = stage.StepCount(options.BatchSize * options.GradientAccumulation);
            var first = resume is not null && resume.Stage == stageIndex ? resume.StepInStage : 0;
            for (var step = first; step < steps; step++)
            {
                if (ct.IsCancellationRequested)
                {
                    Save(optimizer, stream, globalStep, stageIndex, step, stageEnd: false);
                    ct.ThrowIfCancellationRequested();
                }
                var lr = LearningRate.At(step, steps, stage.LearningRate, Math.Min(options.WarmupSteps, steps / 2), options.MinLearningRateRatio);
                var metrics = TrainStep(optimizer, builder, stream, stage, lr, device);
                globalStep++;
                metrics = metrics with { GlobalStep = globalStep, Stage = stageIndex, StepInStage = step + 1, Truncation = truncation };
                logHistory.Add(metrics);
                OnStep?.Invoke(metrics);
                var stageEnd = step + 1 == steps;
                if (stageEnd || (options.CheckpointEvery > 0 && globalStep % options.CheckpointEvery == 0))
                    Save(optimizer, stream, globalStep, stageEnd ? stageIndex + 1 : stageIndex, stageEnd ? 0 : step + 1, stageEnd);
            }
            resume = null;
        }
    }

    /// <summary>
    /// One optimizer step over <see cref="TrainingOptions.GradientAccumulation"/> micro-batches. The
    /// loss is the mean over every learned token of the step (the paper's rule is per token), so
    /// each micro-batch's summed loss is divided by the step's token count, not by its own.
    /// </summary>
    private StepMetrics TrainStep(AdamW optimizer, BatchBuilder builder, SampleStream stream, TrainingStage stage, double lr, Device device)
    {
        var clock = Stopwatch.StartNew();
        var batches = new List<Batch>(options.GradientAccumulation);
        try
        {
            for (var micro = 0; micro < options.GradientAccumulation; micro++)
            {
                batches.Add(builder.Build(stream, options.BatchSize, stage.MaxLength, options.Packing, device));
                truncation += batches[^1].Truncation;
            }
            var stepTokens = batches.Sum(b => b.LearnedTokens);
            double lossSum = 0;
            foreach (var batch in batches.Where(b => b.LearnedTokens > 0)) // an all-prompt micro-batch teaches nothing
            {
                using var scope = NewDisposeScope();
                var loss = model.LossSum(batch.InputIds, batch.Labels, batch.PositionIds, segments: batch.Segments);
                (loss / stepTokens).backward();
                HandedBackGradients.Release();
                lossSum += loss.item<float>();
            }
            var norm = nn.utils.clip_grad_norm_(optimizer.Parameters, options.ClipNorm);
            optimizer.Update(lr);
            optimizer.ZeroGrad();
            var tokens = (double)options.BatchSize * stage.MaxLength * options.GradientAccumulation;
            return new StepMetrics(0, 0, 0, lossSum / Math.Max(1, stepTokens), lr,
                tokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds), TorchDevices.PeakResidentBytes(), norm);
        }
        finally
        {
            foreach (var batch in batches) batch.Dispose();
        }
    }

    private void Save(AdamW optimizer, SampleStream stream, int globalStep, int stage, int stepInStage, bool stageEnd)
    {
        var current = schedule.Stages[stageEnd ? stage - 1 : stage];
        var name = stageEnd ? $"stage-{stage}-step-{globalStep:D6}" : $"step-{globalStep:D6}";
        var dir = Path.Combine(outputDir, CheckpointsFolder, name);
        // Weights as saved, plus the optimizer's two float32 moments per parameter.
        var parameters = model.parameters().Sum(p => p.numel());
        var expected = parameters * (model.parameters().First().ElementSize + 8);
        CheckpointWriter.Write(dir, expected, partial =>
        {
            CheckpointFolder.Save(model, partial, tokenizerSource: tokenizerSource, maxShardBytes: options.MaxShardBytes);
            if (tokenizer is ByteTokenizer) ByteTokenizer.WriteMarker(partial);
            optimizer.Save(Path.Combine(partial, TrainerState.OptimizerFile));
            new TrainerState
            {
                GlobalStep = globalStep,
                Stage = stage,
                StepInStage = stepInStage,
                OptimizerStep = optimizer.Step,
                Seed = options.Seed,
                StreamDraws = stream.State.Draws,
                StreamTaken = stream.State.Taken,
                Truncation = truncation,
                LogHistory = logHistory,
            }.Save(partial);
        });
        CheckpointWriter.Prune(Path.Combine(outputDir, CheckpointsFolder), options.KeepCheckpoints);
        OnCheckpoint?.Invoke(new SavedCheckpoint(dir, globalStep, stageEnd ? stage - 1 : stage, stageEnd, current.RopeTheta, current.MaxLength));
    }
}
