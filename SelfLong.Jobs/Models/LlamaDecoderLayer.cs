using TorchSharp;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>Pre-norm block: x + attn(norm(x)), then + mlp(norm(x)).</summary>
public sealed class LlamaDecoderLayer : nn.Module
{
    private readonly LlamaAttention self_attn;
    private readonly LlamaMlp mlp;
    private readonly RMSNorm input_layernorm;
    private readonly RMSNorm post_attention_layernorm;
    private readonly int layerIndex;

    public LlamaDecoderLayer(LlamaConfig config, int layerIndex, Device device, ScalarType dtype) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(config, device, dtype);
        mlp = new LlamaMlp(config, device, dtype);
        input_layernorm = new RMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        post_attention_layernorm = new RMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        this.layerIndex = layerIndex;
        RegisterComponents();
    }

    /// <param name="mlpChunkTokens">The MLP runs over sequence chunks of this many tokens (see <see cref="LlamaMlp.ForwardChunked"/>).</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, PackedSegments? segments = null, int mlpChunkTokens = int.MaxValue)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.Forward(input_layernorm.forward(x), cos, sin, mask, cache, layerIndex, segments);
        var output = h + mlp.ForwardChunked(post_attention_layernorm.forward(h), mlpChunkTokens);
        return output.MoveToOuterDisposeScope();
    }
}
