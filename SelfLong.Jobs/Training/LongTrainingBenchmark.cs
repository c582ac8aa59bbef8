using System.Diagnostics;
using SelfLong.Jobs.Models;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Training;

/// <summary>
/// `bench train --long`: full training steps (forward, backward, AdamW) of Llama-3-shaped models
/// with random weights at long lengths, one sample per row and four packed samples per row, each
/// step's own peak resident memory read after resetting the process's high-water mark. From the
/// peaks it fits the activation bytes per token (slope over length) and the bytes each extra
/// decoder layer adds. The same run measures today's plain path (dense mask, every activation
/// kept, full logits) at one short length as the baseline the ratios are taken against.
/// </summary>
public static class LongTrainingBenchmark
{
    /// <summary>What makes long context expensive, kept narrow enough for a CPU: Llama-3's vocabulary and head layout.</summary>
    public static LlamaConfig Narrow(int layers) => LlamaShapes.Llama3(hidden: 512, layers, heads: 8, intermediate: 2048, tied: true, kvHeads: 2);

    /// <summary>Llama-3.2-1B's width cut to a few decoder layers.</summary>
    public static LlamaConfig Llama32_1B(int layers)
    {
        var config = LlamaShapes.Known["llama-3.2-1b"]();
        config.NumHiddenLayers = layers;
        return config;
    }

    public sealed record Step(string Model, int Layers, int Length, bool Packed, string Path, double PeakRssMb, double StepRssMb, double Seconds, double TokensPerSecond, double? PeakGpuMb);

    public static object Run(int[] lengths, int baselineLength, int[] oneBLengths, int[] fourLayerLengths, Device device, TrainingOptions options, Action<string> log)
    {
        var steps = new List<Step>();
        void Measure(string name, LlamaConfig config, IEnumerable<(int Length, bool Packed, bool Plain)> runs)
        {
            manual_seed(1);
            using var model = new LlamaForCausalLM(config, device);
            model.SetComputeType(options.ComputeType(device));
            using var optimizer = new AdamW(model.named_parameters(), options);
            TrainStep(model, optimizer, 256, packed: false, plain: false, device); // the optimizer's moments exist from here on
            foreach (var (length, packed, plain) in runs)
            {
                var step = Time(model, optimizer, name, config.NumHiddenLayers, length, packed, plain, device);
                log($"{step.Model} x{step.Layers} {step.Length} {(packed ? "packed" : "single")} {step.Path}: {step.Seconds:F1} s, peak {step.PeakRssMb:F0} MB");
                steps.Add(step);
            }
        }

        // Today's plain path holds (T, vocab) logits: measured at one short length only.
        IEnumerable<(int, bool, bool)> baseline = baselineLength > 0 ? [(baselineLength, false, true), (baselineLength, true, true)] : [];
        Measure("narrow", Narrow(2), [.. baseline, .. lengths.Order().SelectMany(l => new[] { (l, false, false), (l, true, false) })]);
        if (fourLayerLengths.Length > 0) Measure("narrow", Narrow(4), fourLayerLengths.Order().Select(l => (l, false, false)));
        if (oneBLengths.Length > 0) Measure("llama-3.2-1b", Llama32_1B(2), oneBLengths.Order().Select(l => (l, false, false)));
        return Report(steps, device, options);
    }

    private static Step Time(LlamaForCausalLM model, AdamW optimizer, string name, int layers, int length, bool packed, bool plain, Device device)
    {
        TorchDevices.ReleaseFreedMemory();
        var before = TorchDevices.ResidentBytes();
        TorchDevices.ResetPeakResident();
        using var gpu = TorchDevices.IsCuda(device) ? new GpuMemorySampler() : null;
        var clock = Stopwatch.StartNew();
        TrainStep(model, optimizer, length, packed, plain, device);
        if (TorchDevices.IsCuda(device)) cuda.synchronize();
        var seconds = clock.Elapsed.TotalSeconds;
        var peak = TorchDevices.PeakResidentBytes();
        return new Step(name, layers, length, packed, plain ? "plain" : "long-sequence",
            Math.Round(peak / 1048576.0), Math.Round((peak - before) / 1048576.0), Math.Round(seconds, 2), Math.Round(length / seconds),
            gpu?.PeakBytes is { } g ? g >> 20 : null);
    }

    /// <summary>
    /// One step on random ids. Long-sequence: segments, checkpoints and chunks as the trainer sets
    /// them. Plain: what training did before them (dense block-causal mask, every activation kept,
    /// (T, vocab) logits then cross-entropy).
    /// </summary>
    private static void TrainStep(LlamaForCausalLM model, AdamW optimizer, int length, bool packed, bool plain, Device device)
    {
        using var scope = NewDisposeScope();
        var ids = randint(0, model.Config.VocabSize, [1, length + 1], dtype: ScalarType.Int64, device: device);
        var quarter = length / 4;
        var segments = packed ? new PackedSegments([[quarter, quarter, quarter, length - 3 * quarter]]) : null;
        var positions = packed
            ? cat([.. segments!.Rows[0].Select(n => arange(n, dtype: ScalarType.Int64, device: device))]).unsqueeze(0)
            : arange(length, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        var input = ids.narrow(1, 0, length);
        var labels = ids.narrow(1, 1, length);
        Tensor loss;
        if (plain)
        {
            model.LongSequence = LongSequence.Off;
            var logits = model.Forward(input, positions, mask: segments?.ToDenseMask(device));  // (1, T, V)
            loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), labels.reshape(-1));
        }
        else
        {
            model.LongSequence = LongSequence.Default;
            loss = model.LossSum(input, labels, positions, segments: segments) / length;
        }
        loss.backward();
        HandedBackGradients.Release();
        optimizer.Update(1e-5);
        optimizer.ZeroGrad();
    }

    private static object Report(List<Step> steps, Device device, TrainingOptions options)
    {
        Step[] Runs(string model, int layers, bool packed, string path = "long-sequence") =>
            [.. steps.Where(s => s.Model == model && s.Layers == layers && s.Packed == packed && s.Path == path).OrderBy(s => s.Length)];
        var single = Runs("narrow", 2, false);
        var packedRuns = Runs("narrow", 2, true);
        var four = Runs("narrow", 4, false);
        var slope2 = Slope(single);
        // The extra layers' cost compares slopes over the same lengths, so only the layers differ.
        var slope4 = four.Length >= 2 ? Slope(four) : (double?)null;
        var extraLayer = slope4 is { } s4 ? (s4 - Slope([.. single.Where(s => four.Any(f => f.Length == s.Length))])) / 2 : (double?)null;
        double? Peak(int length) => single.FirstOrDefault(s => s.Length == length) is { } step ? Memory(step) : null;
        double? linearity = Peak(32768) is { } p32 && Peak(16384) is { } p16 && Peak(8192) is { } p8 && p16 > p8
            ? Math.Round((p32 - p16) / (2 * (p16 - p8)), 3) : null;
        var packedRatios = packedRuns.Join(single, p => p.Length, s => s.Length, (p, s) => new
        {
            length = p.Length,
            peak = Math.Round(Memory(p) / Memory(s), 3),
            seconds = Math.Round(p.Seconds / s.Seconds, 3),
        }).ToList();
        var baseline = Runs("narrow", 2, false, "plain").Concat(Runs("narrow", 2, true, "plain"))
            .Select(b => (Plain: b, Now: steps.FirstOrDefault(s => s.Model == "narrow" && s.Layers == 2 && s.Packed == b.Packed && s.Length == b.Length && s.Path == "long-sequence")))
            .Where(p => p.Now is not null)
            .Select(p => new { length = p.Plain.Length, packed = p.Plain.Packed, peak_ratio = Math.Round(Memory(p.Now!) / Memory(p.Plain), 3), speed_ratio = Math.Round(p.Now!.TokensPerSecond / p.Plain.TokensPerSecond, 3) })
            .ToList();
        var hiddenBytes = 512 * 4;
        return new
        {
            bench = "train-long",
            device = device.type.ToString().ToLowerInvariant(),
            threads = get_num_threads(),
            compute_type = options.ComputeType(device)?.ToString() ?? "Float32",
            allocator = Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "glibc defaults",
            memory_note = "PeakRssMb: peak resident memory of the process during each step (Linux VmHWM, reset before the step). `./selflong bench train --long` fixes glibc's mmap threshold at 1 MiB (allocator), so a freed tensor's pages go back to the system at once and the peak counts live tensors, not heap the allocator kept from earlier steps (with glibc's sliding threshold, tensors under 32 MiB stay cached and short lengths read high). On CUDA that is host memory; PeakGpuMb is the most GPU memory the process held (nvidia-smi, sampled every 50 ms, the caching allocator's reservation, which never shrinks), which the fits below use where it was read",
            steps,
            fitted = new
            {
                activation_kib_per_token_2_layers = Math.Round(slope2 / 1024, 2),
                activation_kib_per_token_4_layers = slope4 is { } v ? Math.Round(v / 1024, 2) : (double?)null,
                extra_layer_kib_per_token = extraLayer is { } e ? Math.Round(e / 1024, 2) : (double?)null,
                linearity_32k_over_twice_16k_8k = linearity,
                packed_over_single = packedRatios,
                long_sequence_over_plain = baseline,
            },
            targets = new
            {
                linear_in_length = linearity is { } l ? Math.Abs(l - 1) <= 0.15 : (bool?)null,
                activation_at_most_64_kib_per_token = slope2 <= 64 * 1024,
                extra_layer_at_most_2_hidden_floats = extraLayer is { } x ? x <= 2 * hiddenBytes : (bool?)null,
                packed_within_10_percent = packedRatios.Count > 0 ? packedRatios.All(r => r.peak <= 1.10 && r.seconds <= 1.10) : (bool?)null,
            },
        };
    }

    /// <summary>The step's peak on its device: GPU memory where it was read, else the process's resident memory.</summary>
    private static double Memory(Step step) => step.PeakGpuMb ?? step.PeakRssMb;

    /// <summary>Least-squares slope of peak bytes over length.</summary>
    private static double Slope(IReadOnlyList<Step> runs)
    {
        if (runs.Count < 2) return double.NaN;
        var mx = runs.Average(r => (double)r.Length);
        var my = runs.Average(r => Memory(r) * 1048576);
        var num = runs.Sum(r => (r.Length - mx) * (Memory(r) * 1048576 - my));
        var den = runs.Sum(r => (r.Length - mx) * (r.Length - mx));
        return num / den;
    }
}
