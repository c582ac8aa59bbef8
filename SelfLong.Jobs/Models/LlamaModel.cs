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

    /// <summary>How the long-sequence memory savers are set; <see cref="LongSequence.Off"/> by default.</summary>
    public LongSequence LongSequence { get; set; } = LongSequence.Off;

    /// <summary>Recomputes the rotary frequencies after the config's rope_theta changed.</summary>
    public void ResetRotary(LlamaConfig config) => rotary = new RotaryEmbedding(config);

    /// <param name="inputIds">(B, T) int64</param>
    /// <param name="positionIds">(B, T); defaults to cache length + 0..T-1. Packed rows restart per sample.</param>
    /// <param name="mask">Optional boolean (B, 1, T, S), true where attention is allowed; causal when null.</param>
    /// <param name="segments">Packed rows: attention stays within each segment (no mask is built).</param>
    /// <returns>(B, T, hidden) after the final norm.</returns>
    public Tensor Forward(Tensor inputIds, Tensor? positionIds = null, Tensor? mask = null, KvCache? cache = null, PackedSegments? segments = null)
    {
        using var scope = NewDisposeScope();
        var b = inputIds.shape[0];
        var t = inputIds.shape[1];
        var past = cache?.Length ?? 0;
        var positions = positionIds ?? arange(past, past + t, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0).expand(b, t);
        var h = embed_tokens.forward(inputIds); // (B, T, hidden)
        var chunk = LongSequence.ChunkTokens;
        if (cache is null && LongSequence.CheckpointsAt(t) && is_grad_enabled())
        {
            // Backward reruns each layer from its saved input, after this scope has closed: the
            // closure owns what it reads (positions; the rotary table of this stage).
            if (positionIds is null) positions.DetachFromDisposeScope();
            var table = rotary;
            foreach (var layer in layers)
                h = ActivationCheckpoint.Run(h, x =>
                {
                    using var inner = NewDisposeScope();
                    var (cos, sin) = table.Compute(positions, x.dtype);
                    return layer.Forward(x, cos, sin, mask, null, segments, chunk).MoveToOuterDisposeScope();
                });
        }
        else
        {
            var (cos, sin) = rotary.Compute(positions, h.dtype);
            foreach (var layer in layers) h = layer.Forward(h, cos, sin, mask, cache, segments, chunk);
        }
        cache?.Advance((int)t);
        return norm.forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// What keeps activation memory linear and small at long lengths: a checkpoint per decoder layer
/// for sequences longer than <see cref="CheckpointAboveTokens"/>, and the MLP, LM head and loss run
/// over chunks of <see cref="ChunkTokens"/> tokens.
/// </summary>
public sealed record LongSequence(int CheckpointAboveTokens, int ChunkTokens)
{
    public static readonly LongSequence Off = new(int.MaxValue, int.MaxValue);

    /// <summary>The trainer's defaults: checkpoint above 2,048 tokens, chunks of 4,096.</summary>
    public static readonly LongSequence Default = new(2048, 4096);

    public bool CheckpointsAt(long length) => length > CheckpointAboveTokens;
}
