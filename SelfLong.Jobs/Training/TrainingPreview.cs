using System.Text.Json;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training;

/// <summary>One stage as it will run, with its estimated peak memory; <see cref="Fits"/> is null when the device's memory is unknown.</summary>
public sealed record StageEstimate(int Stage, int MaxLength, double RopeTheta, int BatchSize, MemoryEstimate Memory, bool? Fits);

/// <summary>
/// What a run will do before it starts: the stage table with a memory estimate per stage on the
/// device it will train on, and warnings about a schedule that may not be what was meant.
/// </summary>
public sealed record TrainingPreview(
    string Device, long? DeviceMemoryBytes, bool Bf16, int BaseMaxPositionEmbeddings, double BaseRopeTheta,
    IReadOnlyList<StageEstimate> Stages, IReadOnlyList<string> Warnings)
{
    /// <summary>The preview of a spec whose base, stages and options are valid.</summary>
    public static TrainingPreview For(TrainingRunSpec spec, LlamaConfig baseConfig, TrainingDevice device)
    {
        var bf16 = device.Bf16(spec.Options);
        var batch = Math.Max(1, spec.Options.BatchSize);
        var stages = spec.Stages.Select((s, i) =>
        {
            var memory = MemoryEstimate.For(baseConfig, s.MaxLength, batch, bf16);
            return new StageEstimate(i + 1, s.MaxLength, s.RopeTheta, batch, memory, device.MemoryBytes is { } total ? memory.TotalBytes <= total : null);
        }).ToList();
        // SelfLong-Tiny from scratch has no length of its own yet: stage 1 is its first.
        var warning = spec.Base == TrainingRunSpec.TinyBase ? null : SchedulePresets.StageOneWarning(baseConfig, spec.Stages);
        return new TrainingPreview(device.Name, device.MemoryBytes, bf16, baseConfig.MaxPositionEmbeddings, baseConfig.RopeTheta,
            stages, warning is null ? [] : [warning]);
    }

    /// <summary>The base's config, or the reason it cannot be read (reported on the "base" field).</summary>
    public static (LlamaConfig? Config, string? Error) ReadBaseConfig(TrainingRunSpec spec)
    {
        try
        {
            return (spec.BaseConfig(), null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or JsonException or UnauthorizedAccessException)
        {
            return (null, $"Base '{spec.Base}': config.json cannot be read ({e.Message}).");
        }
    }

    /// <summary>Stages whose estimate exceeds the device's memory, each as a "stages" error with the figures.</summary>
    public IEnumerable<(string Field, string Message)> Refusals() =>
        Stages.Where(s => s.Fits == false).Select(s => ("stages",
            Invariant($"Stage {s.Stage} ({s.MaxLength:N0} tokens x batch {s.BatchSize}) needs an estimated {ByteSize.Format(s.Memory.TotalBytes)} ")
            + $"({ByteSize.Format(s.Memory.ParameterBytes)} parameters and optimizer, {ByteSize.Format(s.Memory.ActivationBytes)} activations, "
            + $"{ByteSize.Format(s.Memory.ChunkBufferBytes)} chunk buffers), but the device ({Device}) has {ByteSize.Format(DeviceMemoryBytes ?? 0)}. "
            + "Lower the batch size or the stage's length, or use a smaller model."));

    /// <summary>One line per stage for logs: "stage 1: 262,144 tokens x 1, theta 2000000, estimated 88.7 GiB of 139.8 GiB (cuda)".</summary>
    public IEnumerable<string> Lines() => Stages.Select(s =>
        Invariant($"stage {s.Stage}: {s.MaxLength:N0} tokens x {s.BatchSize}, theta {s.RopeTheta:G}, estimated {ByteSize.Format(s.Memory.TotalBytes)}")
        + (DeviceMemoryBytes is { } total ? $" of {ByteSize.Format(total)} ({Device})" : $" ({Device}, memory unknown)")
        + (s.Fits == false ? ": does not fit" : ""));

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
