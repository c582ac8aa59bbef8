using System.Diagnostics;
using SelfLong.Jobs.Models;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Training;

/// <summary>
/// Times full training steps (forward, backward, AdamW) of SelfLong-Tiny on random bytes, one
/// sequence per step, and reads peak resident memory after each length (lengths run in
/// increasing order, so each reading is that length's peak).
/// </summary>
public static class TrainingBenchmark
{
    public static object Run(int steps)
    {
        var device = TorchDevices.Preferred();
        var throughput = new Dictionary<string, double>();
        var memory = new Dictionary<string, double>();
        foreach (var length in new[] { 512, 2048, 8192 })
        {
            var tokensPerSecond = Measure(length, length == 8192 ? 1 : steps, device);
            if (length != 8192) throughput[$"tokens_per_s_{length}"] = Math.Round(tokensPerSecond);
            if (length != 512) memory[$"peak_rss_mb_{length}"] = TorchDevices.PeakResidentBytes() >> 20;
        }
        var (peer, peerNote) = PyTorchPeer.Run(steps, get_num_threads(), [512, 2048]);
        var ratios = peer?.Where(p => throughput.ContainsKey(p.Key) && p.Value > 0)
            .ToDictionary(p => p.Key.Replace("tokens_per_s_", "ratio_"), p => Math.Round(throughput[p.Key] / p.Value, 3));
        return new
        {
            bench = "train",
            model = "SelfLong-Tiny",
            device = device.type.ToString().ToLowerInvariant(),
            threads = get_num_threads(),
            throughput,
            memory,
            memory_note = "process peak RSS; attention runs in scaled_dot_product_attention without a T x T mask",
            pytorch_baseline = peer?.ToDictionary(p => p.Key, p => Math.Round(p.Value)),
            torchsharp_over_pytorch = ratios,
            pytorch_note = peerNote,
        };
    }

    private static double Measure(int length, int steps, Device device)
    {
        manual_seed(1);
        using var model = new LlamaForCausalLM(SelfLongTiny.Config(length), device);
        using var optimizer = new AdamW(model.named_parameters(), new TrainingOptions());
        var clock = new Stopwatch();
        for (var step = 0; step <= steps; step++)
        {
            if (step == 1) clock.Start(); // the first step warms allocators up
            using var scope = NewDisposeScope();
            var ids = randint(0, 256, [1, length + 1], dtype: ScalarType.Int64, device: device);
            var loss = model.Loss(ids.narrow(1, 0, length), ids.narrow(1, 1, length));
            loss.backward();
            optimizer.Update(1e-3);
            optimizer.ZeroGrad();
        }
        return steps * (double)length / clock.Elapsed.TotalSeconds;
    }
}
