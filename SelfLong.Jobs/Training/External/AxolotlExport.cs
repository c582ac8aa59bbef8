using System.Text.Json;
using System.Text.Json.Nodes;
using SelfLong.Data.Training;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training.External;

/// <summary>How an export is laid out for the GPUs it will run on.</summary>
/// <param name="Gpus">GPUs the launch uses (one machine; several work the same way under torchrun).</param>
/// <param name="ContextParallel">GPUs that share one sequence (Axolotl's context_parallel_size); must divide <paramref name="Gpus"/>.</param>
public sealed record AxolotlExportOptions(int Gpus = 8, int ContextParallel = 8)
{
    public void Validate()
    {
        if (Gpus < 1) throw new ArgumentException("Give at least one GPU.");
        if (ContextParallel < 1 || Gpus % ContextParallel != 0)
            throw new ArgumentException($"The context-parallel size ({ContextParallel}) must divide the GPU count ({Gpus}).");
    }
}

/// <summary>What was written, per stage.</summary>
public sealed record ExportedStage(int Stage, int MaxLength, double RopeTheta, int Steps, string Folder, long Samples, long Tokens, long CutSamples, long SkippedSamples);

public sealed record AxolotlExportResult(string Folder, string Launch, IReadOnlyList<ExportedStage> Stages);

/// <summary>
/// "Export for a multi-GPU trainer": a training run's stages written for Axolotl, which trains
/// Llama models with sequence (context) parallelism over ring attention, so one 1M-token sequence
/// is split across GPUs. Each stage gets its data pre-tokenized with SelfLong's own chat template,
/// truncation and loss rule (labels -100 where SelfLong would not learn), so the external trainer
/// learns exactly what the in-process one would; the base config with the stage's rope_theta and
/// length; an Axolotl config; and one launch script that runs the stages in order, each starting
/// from the previous stage's output.
/// </summary>
public static class AxolotlExport
{
    public const string DataFile = "data.jsonl";
    public const string ConfigFile = "axolotl.yaml";
    public const string OutputFolder = "output";
    public const string LaunchFile = "launch.sh";

    public static string StageFolder(int stage) => $"stage-{stage + 1}";

    public static async Task<AxolotlExportResult> WriteAsync(
        TrainingRun run, TrainingRunSpec spec, IReadOnlyList<WeightedSource> extraSources, string folder, AxolotlExportOptions options, CancellationToken ct)
    {
        options.Validate();
        spec.Validate();
        if (spec.Base == TrainingRunSpec.TinyBase || !Llama3Tokenizer.Exists(spec.Base))
            throw new ArgumentException("Export needs a base model folder with a Hugging Face tokenizer (tokenizer.json or tokenizer.model); SelfLong-Tiny and byte-level folders train in SelfLong only.");
        var tokenizer = spec.Tokenizer();
        var data = await TrainingLauncher.LoadDataAsync(spec, extraSources, ct);
        var baseConfig = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(spec.Base, CheckpointFolder.ConfigFile), ct))!.AsObject();

        Directory.CreateDirectory(folder);
        // One stream over the whole run, as the trainer draws it: stage 2 continues where stage 1 stopped.
        var stream = new SampleStream(data, spec.Options.Seed);
        var builder = new BatchBuilder(tokenizer, spec.Options.Loss);
        var stages = new List<ExportedStage>();
        for (var i = 0; i < spec.Stages.Count; i++)
        {
            var stage = spec.Stages[i];
            var stageFolder = Path.Combine(folder, StageFolder(i));
            Directory.CreateDirectory(stageFolder);
            var written = await WriteDataAsync(Path.Combine(stageFolder, DataFile), stream, builder, stage, spec.Options, ct);
            var config = baseConfig.DeepClone().AsObject();
            config["rope_theta"] = stage.RopeTheta;
            config["max_position_embeddings"] = stage.MaxLength;
            await File.WriteAllTextAsync(Path.Combine(stageFolder, CheckpointFolder.ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
            var baseModel = i == 0 ? Path.GetFullPath(spec.Base) : $"../{StageFolder(i - 1)}/{OutputFolder}";
            await File.WriteAllTextAsync(Path.Combine(stageFolder, ConfigFile), AxolotlConfig.Stage(run, i, stage, spec, baseModel, options), ct);
            stages.Add(written with { Stage = i + 1, Folder = stageFolder });
        }
        var launch = Path.Combine(folder, LaunchFile);
        await File.WriteAllTextAsync(launch, AxolotlConfig.Launch(run, spec.Stages.Count, options), ct);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(launch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return new AxolotlExportResult(folder, launch, stages);
    }

    /// <summary>
    /// The samples one stage consumes in SelfLong: steps x batch x accumulation rows of the stage's
    /// length, filled by packing (or one sample a row without it). Axolotl packs them again itself.
    /// </summary>
    private static async Task<ExportedStage> WriteDataAsync(string path, SampleStream stream, BatchBuilder builder, TrainingStage stage, TrainingOptions options, CancellationToken ct)
    {
        long rows = (long)stage.Steps * options.BatchSize * options.GradientAccumulation;
        var tokenBudget = rows * stage.MaxLength;
        long samples = 0, tokens = 0, cut = 0, skipped = 0;
        await using var writer = new StreamWriter(path);
        while (options.Packing ? tokens < tokenBudget : samples < rows)
        {
            ct.ThrowIfCancellationRequested();
            // Hugging Face shifts labels inside the model, so a sample of at most the stage length fits a row.
            var (fitted, cutTokens) = builder.Fit(stream.Next(), stage.MaxLength - 1);
            if (fitted is null || !fitted.Learn.Skip(1).Any(l => l))
            {
                if (++skipped > 100_000 && samples == 0)
                    throw new InvalidOperationException($"No sample fits stage length {stage.MaxLength}.");
                continue;
            }
            if (cutTokens > 0) cut++;
            await writer.WriteLineAsync(Row(fitted));
            samples++;
            tokens += fitted.Ids.Length;
        }
        return new ExportedStage(0, stage.MaxLength, stage.RopeTheta, stage.Steps, "", samples, tokens, cut, skipped);
    }

    /// <summary>Axolotl's pre-tokenized row: input_ids, attention_mask and labels (-100: not learned).</summary>
    public static string Row(EncodedSample sample) => JsonSerializer.Serialize(new
    {
        input_ids = sample.Ids,
        attention_mask = sample.Ids.Select(_ => 1),
        labels = sample.Ids.Select((id, i) => sample.Learn[i] ? id : -100),
    });
}
