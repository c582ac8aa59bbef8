using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// Autoregressive decoding with a KV cache: one forward over the prompt, then one position per
/// step. Temperature 0 is greedy; otherwise sampling from softmax(logits / temperature) with a
/// seeded managed RNG, so a seed reproduces the text on any device.
/// </summary>
public static class TextGenerator
{
    public static List<int> Generate(
        LlamaForCausalLM model, IReadOnlyList<int> prompt, int maxNewTokens, IReadOnlySet<int> stops,
        double temperature = 0, int? seed = null, CancellationToken ct = default)
    {
        if (prompt.Count == 0) throw new ArgumentException("The prompt has no tokens.", nameof(prompt));
        if (temperature < 0) throw new ArgumentOutOfRangeException(nameof(temperature), "Temperature must be 0 (greedy) or positive.");
        // No cap at max_position_embeddings: RoPE has no position table, and evaluating beyond the
        // trained length is the point of the needle and perplexity checks.
        var output = new List<int>();
        if (maxNewTokens == 0) return output;

        var random = seed is { } s ? new Random(s) : Random.Shared;
        using var _ = no_grad();
        using var cache = new KvCache(model.Config, 1, prompt.Count + maxNewTokens, model.Device, model.Model.EmbedTokens.weight!.dtype);
        var input = prompt.Select(i => (long)i).ToArray();
        for (var step = 0; step < maxNewTokens; step++)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var ids = tensor(input, [1, input.Length], device: model.Device);
            var logits = model.Forward(ids, cache: cache);                  // (1, T, V)
            var last = logits[0, -1].to_type(ScalarType.Float64).cpu().data<double>().ToArray();
            var next = temperature == 0 ? ArgMax(last) : Sample(last, temperature, random);
            if (stops.Contains(next)) break;
            output.Add(next);
            input = [next];
        }
        return output;
    }

    private static int ArgMax(double[] logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    private static int Sample(double[] logits, double temperature, Random random)
    {
        var max = logits.Max();
        var weights = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        var r = random.NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            r -= weights[i];
            if (r <= 0) return i;
        }
        return weights.Length - 1;
    }
}
