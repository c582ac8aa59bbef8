using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>Root-mean-square norm, computed in float32 as in Hugging Face's LlamaRMSNorm.</summary>
public sealed class RMSNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double eps;

    public RMSNorm(long size, double eps, Device device, ScalarType dtype) : base(nameof(RMSNorm))
    {
        weight = new Parameter(ones([size], dtype: dtype, device: device));
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to_type(ScalarType.Float32);
        var variance = x.pow(2).mean([-1L], keepdim: true);
        var normed = (x * rsqrt(variance + eps)).to_type(input.dtype);
        return (weight * normed).MoveToOuterDisposeScope();
    }
}
