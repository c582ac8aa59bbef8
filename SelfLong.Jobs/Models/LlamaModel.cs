using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>The decoder stack: embed_tokens, layers.N, norm (Hugging Face's LlamaModel).</summary>
public sealed class LlamaModel : nn.Module
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RMSNorm norm;
    private RotaryEmbedding rotary;

    public LlamaModel(LlamaConfig config, Device device, ScalarType dtype) : base(nameof(LlamaModel))
    {
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        layers = new ModuleList<LlamaDecoderLayer>([.. Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i, device, dtype))]);
        norm = new RMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        rotary = new RotaryEmbedding(config);
        RegisterComponents();
    }

    public Embedding EmbedTokens => embed_tokens;

    public RotaryEmbedding Rotary => rotary;

    /// <summary>Recomputes the rotary frequencies after the config's rope_theta changed.</summary>
    public void ResetRotary(LlamaConfig config) => rotary = new RotaryEmbedding(config);

    /// <param name="inputIds">(B, T) int64</param>
    /// <param name="positionIds">(B, T); defaults to cache length + 0..T-1. Packed rows restart per sample.</param>
    /// <param name="mask">Optional boolean (B, 1, T, S), true where attention is allowed; causal when null.</param>
    /// <returns>(B, T, hidden) after the final norm.</returns>
    public Tensor Forward(Tensor inputIds, Tensor? positionIds = null, Tensor? mask = null, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var b = inputIds.shape[0];
        var t = inputIds.shape[1];
        var past = cache?.Length ?? 0;
        positionIds ??= arange(past, past + t, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0).expand(b, t);
        var h = embed_tokens.forward(inputIds); // (B, T, hidden)
        var (cos, sin) = rotary.Compute(positionIds, h.dtype);
        foreach (var layer in layers) h = layer.Forward(h, cos, sin, mask, cache);
        cache?.Advance((int)t);
        return norm.forward(h).MoveToOuterDisposeScope();
    }
}
