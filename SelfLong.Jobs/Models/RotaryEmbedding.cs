using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// Rotary position embedding (Su et al.) in the Hugging Face "rotate half" layout. Not a module:
/// its inverse frequencies are derived from the config and never stored in checkpoints.
/// </summary>
public sealed class RotaryEmbedding
{
    public RotaryEmbedding(LlamaConfig config)
    {
        InverseFrequencies = ComputeInverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
    }

    /// <summary>theta_i for i in [0, head_dim/2), after any rope_scaling.</summary>
    public double[] InverseFrequencies { get; }

    /// <summary>1 / base^(2i/d), then rescaled per rope_scaling (transformers' modeling_rope_utils).</summary>
    public static double[] ComputeInverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var half = headDim / 2;
        var inv = new double[half];
        for (var i = 0; i < half; i++) inv[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        switch (scaling?.Type ?? "default")
        {
            case "default":
                return inv;
            case "linear":
                return [.. inv.Select(f => f / scaling!.Factor!.Value)];
            case "llama3":
                return Llama3(inv, scaling!);
            default:
                scaling!.Validate();
                throw new NotSupportedException(scaling.Type);
        }
    }

    /// <summary>
    /// Llama 3.1's frequency-dependent scaling: long wavelengths are divided by the factor, short
    /// ones kept, and the band between is interpolated smoothly.
    /// </summary>
    private static double[] Llama3(double[] inv, RopeScaling s)
    {
        var factor = s.Factor!.Value;
        var low = s.LowFreqFactor!.Value;
        var high = s.HighFreqFactor!.Value;
        double oldContext = s.OriginalMaxPositionEmbeddings!.Value;
        var lowFreqWavelen = oldContext / low;
        var highFreqWavelen = oldContext / high;
        var result = new double[inv.Length];
        for (var i = 0; i < inv.Length; i++)
        {
            var wavelen = 2 * Math.PI / inv[i];
            if (wavelen < highFreqWavelen) result[i] = inv[i];
            else if (wavelen > lowFreqWavelen) result[i] = inv[i] / factor;
            else
            {
                var smooth = (oldContext / wavelen - low) / (high - low);
                result[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
            }
        }
        return result;
    }

    /// <summary>cos and sin for the given positions: (B, T) in, two (B, T, head_dim) out.</summary>
    public (Tensor Cos, Tensor Sin) Compute(Tensor positionIds, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var inv = tensor(InverseFrequencies.Select(f => (float)f).ToArray(), device: positionIds.device);
        var freqs = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * inv; // (B, T, D/2)
        var emb = cat([freqs, freqs], dim: -1);                                    // (B, T, D)
        var cos = emb.cos().to_type(dtype);
        var sin = emb.sin().to_type(dtype);
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>x * cos + rotate_half(x) * sin, with x (B, H, T, D) and cos/sin (B, T, D).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        // In x's type, as transformers does, so bf16 projections keep attention in bf16.
        var c = cos.to_type(x.dtype).unsqueeze(1); // (B, 1, T, D)
        var s = sin.to_type(x.dtype).unsqueeze(1);
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([-x2, x1], dim: -1);
        return (x * c + rotated * s).MoveToOuterDisposeScope();
    }
}
