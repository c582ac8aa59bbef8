using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// A bias-free projection whose only parameter is <c>weight</c> (out, in), as in the checkpoint.
/// With <see cref="ComputeType"/> set (bf16 on CUDA) the matmul runs in that type while the
/// master weight stays float32: the part of autocast that matters for Llama.
/// </summary>
public sealed class LlamaLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;

    public LlamaLinear(long inFeatures, long outFeatures, Device device, ScalarType dtype) : base(nameof(LlamaLinear))
    {
        weight = new Parameter(empty([outFeatures, inFeatures], dtype: dtype, device: device));
        RegisterComponents();
    }

    public Parameter Weight => weight;

    public ScalarType? ComputeType { get; set; }

    public override Tensor forward(Tensor input)
    {
        if (ComputeType is { } ct && ct != weight.dtype)
        {
            using var scope = NewDisposeScope();
            return nn.functional.linear(input.to_type(ct), weight.to_type(ct)).MoveToOuterDisposeScope();
        }
        return nn.functional.linear(input, weight);
    }
}
