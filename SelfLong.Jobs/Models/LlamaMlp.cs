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
}
