using TorchSharp;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>SwiGLU: down_proj(silu(gate_proj(x)) * up_proj(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly LlamaLinear gate_proj;
    private readonly LlamaLinear up_proj;
    private readonly LlamaLinear down_proj;

    public LlamaMlp(LlamaConfig config, Device device, ScalarType dtype) : base(nameof(LlamaMlp))
    {
        gate_proj = new LlamaLinear(config.HiddenSize, config.IntermediateSize, device, dtype);
        up_proj = new LlamaLinear(config.HiddenSize, config.IntermediateSize, device, dtype);
        down_proj = new LlamaLinear(config.IntermediateSize, config.HiddenSize, device, dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return down_proj.forward(nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same SwiGLU over sequence chunks (mini-sequence training): with gradients on, each chunk
    /// is checkpointed, so at most one chunk's (chunk, intermediate) activations exist at a time
    /// instead of the full (T, intermediate) ones. The MLP acts on each token alone, so the result
    /// is the unchunked one.
    /// </summary>
    public Tensor ForwardChunked(Tensor x, int chunkTokens)
    {
        var length = x.shape[1];
        if (length <= chunkTokens) return forward(x);
        using var scope = NewDisposeScope();
        var pieces = new List<Tensor>();
        for (long start = 0; start < length; start += chunkTokens)
            pieces.Add(ActivationCheckpoint.Run(x.narrow(1, start, Math.Min(chunkTokens, length - start)), forward)); // (B, chunk, hidden)
        return cat(pieces, dim: 1).MoveToOuterDisposeScope();
    }
}
