using System.Globalization;
using System.Text;
using SelfLong.Data.Training;

namespace SelfLong.Jobs.Training.External;

/// <summary>
/// The text of an exported stage's Axolotl config and of the launch script. Written by hand rather
/// than through a YAML library: every value is a number, a fixed word or a path SelfLong made, and
/// paths are quoted.
/// </summary>
public static class AxolotlConfig
{
    public static string Stage(TrainingRun run, int index, TrainingStage stage, TrainingRunSpec spec, string baseModel, AxolotlExportOptions gpus)
    {
        var o = spec.Options;
        // SelfLong's optimizer step takes batch x accumulation rows; Axolotl's takes micro_batch x
        // accumulation per data-parallel group (GPUs / context-parallel size). Keep the tokens per step.
        var groups = gpus.Gpus / gpus.ContextParallel;
        var accumulation = Math.Max(1, (int)Math.Ceiling(o.BatchSize * o.GradientAccumulation / (double)groups));
        var y = new StringBuilder();
        y.AppendLine($"# Stage {index + 1} of {spec.Stages.Count} of SelfLong training run \"{run.Name}\" (#{run.Id}).");
        y.AppendLine("# Data: SelfLong's samples pre-tokenized with its chat template and loss rule (labels -100 are not learned).");
        y.AppendLine($"base_model: {Quote(baseModel)}");
        y.AppendLine("overrides_of_model_config:");
        y.AppendLine($"  rope_theta: {Number(stage.RopeTheta)}");
        y.AppendLine($"  max_position_embeddings: {stage.MaxLength}");
        y.AppendLine("datasets:");
        y.AppendLine($"  - path: {Quote(AxolotlExport.DataFile)}");
        y.AppendLine("    ds_type: json");
        y.AppendLine("    type:");
        y.AppendLine("dataset_prepared_path: prepared");
        y.AppendLine("val_set_size: 0");
        y.AppendLine($"sequence_len: {stage.MaxLength}");
        y.AppendLine($"sample_packing: {Bool(o.Packing)}");
        y.AppendLine("pad_to_sequence_len: true");
        y.AppendLine("flash_attention: true");
        y.AppendLine($"context_parallel_size: {gpus.ContextParallel}");
        y.AppendLine("gradient_checkpointing: true");
        y.AppendLine("bf16: true");
        y.AppendLine("micro_batch_size: 1");
        y.AppendLine($"gradient_accumulation_steps: {accumulation}");
        y.AppendLine($"max_steps: {stage.Steps}");
        y.AppendLine("optimizer: adamw_torch_fused");
        y.AppendLine($"learning_rate: {Number(stage.LearningRate)}");
        y.AppendLine("lr_scheduler: cosine");
        y.AppendLine($"cosine_min_lr_ratio: {Number(o.MinLearningRateRatio)}");
        y.AppendLine($"warmup_steps: {o.WarmupSteps}");
        y.AppendLine($"weight_decay: {Number(o.WeightDecay)}");
        y.AppendLine($"adam_beta1: {Number(o.Beta1)}");
        y.AppendLine($"adam_beta2: {Number(o.Beta2)}");
        y.AppendLine($"adam_epsilon: {Number(o.Epsilon)}");
        y.AppendLine($"max_grad_norm: {Number(o.ClipNorm)}");
        y.AppendLine($"seed: {o.Seed}");
        y.AppendLine("logging_steps: 1");
        if (o.CheckpointEvery > 0)
        {
            y.AppendLine("save_strategy: steps");
            y.AppendLine($"save_steps: {o.CheckpointEvery}");
        }
        if (o.KeepCheckpoints > 0) y.AppendLine($"save_total_limit: {o.KeepCheckpoints}");
        y.AppendLine("save_safetensors: true");
        y.AppendLine($"output_dir: {Quote(AxolotlExport.OutputFolder)}");
        return y.ToString();
    }

    public static string Launch(TrainingRun run, int stages, AxolotlExportOptions gpus)
    {
        var s = new StringBuilder();
        s.AppendLine("#!/usr/bin/env bash");
        s.AppendLine($"# SelfLong training run \"{run.Name}\" (#{run.Id}): {stages} stage(s) with Axolotl, {gpus.Gpus} GPU(s), context parallel {gpus.ContextParallel}.");
        s.AppendLine("# Needs: pip install 'axolotl[flash-attn,ring-flash-attn]'. Each stage starts from the previous stage's output.");
        s.AppendLine($"# SelfLong follows each stage's {AxolotlExport.OutputFolder}/ folder: `./selflong train follow --run {run.Id}`.");
        s.AppendLine("set -euo pipefail");
        s.AppendLine("cd \"$(dirname \"$0\")\"");
        for (var i = 0; i < stages; i++)
            s.AppendLine($"(cd {AxolotlExport.StageFolder(i)} && axolotl train {AxolotlExport.ConfigFile} --launcher torchrun -- --nproc_per_node={gpus.Gpus})");
        return s.ToString();
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Quote(string value) => "'" + value.Replace("'", "''") + "'";
}
