using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>Per-token negative log-likelihood, the basis of perplexity-versus-length curves.</summary>
public static class Perplexity
{
    /// <summary>Positions whose logits are materialized at once: (chunk, vocab) floats.</summary>
    private const int LogitChunk = 512;

    public static double[] TokenNlls(LlamaForCausalLM model, IReadOnlyList<int> ids)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], device: model.Device);
        var hidden = model.Model.Forward(input);                            // (1, T, hidden)
        var result = new double[ids.Count - 1];
        for (var start = 0; start < ids.Count - 1; start += LogitChunk)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(LogitChunk, ids.Count - 1 - start);
            var logits = model.Logits(hidden.narrow(1, start, length))[0];  // (L, V)
            var targets = input[0].narrow(0, start + 1, length).unsqueeze(1); // (L, 1)
            var nll = -nn.functional.log_softmax(logits, -1).gather(1, targets).squeeze(1);
            var values = nll.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
            Array.Copy(values, 0, result, start, length);
        }
        return result;
    }

    public sealed record Summary(int Tokens, double MeanNll, double Perplexity);

    public static Summary Summarize(double[] nlls)
    {
        var mean = nlls.Length == 0 ? double.NaN : nlls.Average();
        return new Summary(nlls.Length + 1, mean, Math.Exp(mean));
    }
}
