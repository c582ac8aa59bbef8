using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training;

/// <summary>
/// Peak training memory of one step, estimated from the model's shape before a run starts ("will
/// it fit?"), in parts: parameter state, activations (linear in batch x length) and the fixed
/// buffers of the sequence-chunked MLP and loss. The coefficients describe a trainer with one
/// activation checkpoint per decoder layer, sequence-chunked MLP, LM head and cross-entropy, and
/// attention by segment (the trainer's <see cref="LongSequence.Default"/>); the per-token ones are
/// fitted from `./selflong bench train --long`, whose figures the README sets beside them.
/// </summary>
public sealed record MemoryEstimate(
    long Parameters, long ParameterBytes, long ActivationBytesPerToken, long ActivationBytes, long ChunkBufferBytes, long TotalBytes)
{
    /// <summary>float32 weight, gradient, AdamW m and v: 4 x 4 bytes per parameter.</summary>
    public const int OptimizerStateBytesPerParameter = 16;

    /// <summary>bf16 copies of the weights the CUDA forward computes with.</summary>
    public const int Bf16CopyBytesPerParameter = 2;

    /// <summary>
    /// Per layer and token, in float32 hidden-size units (the residual stream stays float32 under
    /// bf16 compute): what each checkpointed layer keeps until backward. Measured by `bench train
    /// --long` (hidden 512, 2 and 4 layers at 8k and 16k tokens, glibc's mmap threshold fixed so the
    /// resident peak counts live tensors): 4.19 KiB per token per extra layer, 2.09 units, rounded up.
    /// </summary>
    public const double KeptPerLayer = 2.1;

    /// <summary>
    /// Everything else alive per token at the step's peak, in the same units: the layer being
    /// recomputed and back-propagated, the final norm and the fused loss's hidden gradient. Measured
    /// by the same run: 30.75 KiB per token at 2 layers (linear from 8k to 32k), i.e. 15.4 units of
    /// which 4.2 are the two layers' own, rounded up. The CPU measured float32 throughout, so bf16 is
    /// counted as float32 here.
    /// </summary>
    public const double WorkingLayer = 11.5;

    /// <summary>
    /// Rows per chunk of the LM head and cross-entropy: (chunk, vocab) logits exist, never (T, vocab)
    /// (<see cref="ChunkedCrossEntropy.ChunkRows"/>, at most the trainer's chunk).
    /// </summary>
    public static long LossChunkTokens(long vocab) => ChunkedCrossEntropy.ChunkRows(vocab, LongSequence.Default.ChunkTokens);

    /// <summary>
    /// Loss-chunk buffers counted: float32 needs one (the logits, turned log-probabilities then
    /// gradient in place); bf16 compute holds bf16 logits, their float32 copy and a bf16 gradient.
    /// Three float32 copies cover both.
    /// </summary>
    public const int LossChunkCopies = 3;

    /// <summary>Tokens per chunk of the MLP: (chunk, intermediate) activations exist, never (T, intermediate).</summary>
    public static readonly int MlpChunkTokens = LongSequence.Default.ChunkTokens;

    /// <summary>gate, up, their SiLU product and its gradient for one MLP chunk.</summary>
    public const int MlpChunkCopies = 4;

    /// <summary>The estimate for one step of <paramref name="batch"/> rows of <paramref name="length"/> tokens.</summary>
    /// <param name="bf16">Compute in bf16 (CUDA with bf16 on): bf16 weight copies and 2-byte MLP chunks; otherwise float32.</param>
    public static MemoryEstimate For(LlamaConfig config, int length, int batch, bool bf16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        long dtypeBytes = bf16 ? 2 : 4;
        var parameters = ParameterCount(config);
        var parameterBytes = parameters * (OptimizerStateBytesPerParameter + (bf16 ? Bf16CopyBytesPerParameter : 0));
        var perToken = (long)Math.Ceiling(config.HiddenSize * 4.0 * (KeptPerLayer * config.NumHiddenLayers + WorkingLayer));
        var tokens = (long)batch * length;
        var activations = tokens * perToken;
        // A chunk is never longer than the step's tokens. The fused loss also holds one float32
        // gradient of the head's weight.
        var chunkBuffers = Math.Min(LossChunkTokens(config.VocabSize), tokens) * config.VocabSize * 4L * LossChunkCopies
            + (long)config.VocabSize * config.HiddenSize * 4
            + Math.Min(MlpChunkTokens, tokens) * config.IntermediateSize * dtypeBytes * MlpChunkCopies;
        return new MemoryEstimate(parameters, parameterBytes, perToken, activations, chunkBuffers, parameterBytes + activations + chunkBuffers);
    }

    /// <summary>
    /// Parameters of a Llama model: embeddings; per layer q/k/v/o, MLP gate/up/down and two
    /// RMSNorms; the final norm; the LM head unless tied to the embeddings.
    /// </summary>
    public static long ParameterCount(LlamaConfig c)
    {
        long hidden = c.HiddenSize, queryWidth = (long)c.NumAttentionHeads * c.HeadDim, keyValueWidth = (long)c.KeyValueHeads * c.HeadDim;
        var attention = hidden * queryWidth * 2 + hidden * keyValueWidth * 2;
        var mlp = 3 * hidden * c.IntermediateSize;
        var layer = attention + mlp + 2 * hidden;
        var embeddings = (long)c.VocabSize * hidden;
        return embeddings + c.NumHiddenLayers * layer + hidden + (c.TieWordEmbeddings ? 0 : embeddings);
    }
}

/// <summary>Llama-3.x shapes as their config.json files give them, for estimates without a checkpoint at hand.</summary>
public static class LlamaShapes
{
    public static readonly IReadOnlyDictionary<string, Func<LlamaConfig>> Known = new Dictionary<string, Func<LlamaConfig>>(StringComparer.OrdinalIgnoreCase)
    {
        ["llama-3.2-1b"] = () => Llama3(hidden: 2048, layers: 16, heads: 32, intermediate: 8192, tied: true),
        ["llama-3.2-3b"] = () => Llama3(hidden: 3072, layers: 28, heads: 24, intermediate: 8192, tied: true),
        ["llama-3.1-8b"] = () => Llama3(hidden: 4096, layers: 32, heads: 32, intermediate: 14336, tied: false),
    };

    /// <summary>A Llama-3 shape: vocabulary 128,256, 131,072 positions at theta 500,000 (8 key-value heads unless given).</summary>
    public static LlamaConfig Llama3(int hidden, int layers, int heads, int intermediate, bool tied, int kvHeads = 8) => new()
    {
        VocabSize = 128_256,
        HiddenSize = hidden,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        IntermediateSize = intermediate,
        TieWordEmbeddings = tied,
        MaxPositionEmbeddings = SchedulePresets.Llama31MaxPositions,
        RopeTheta = SchedulePresets.Llama31RopeTheta,
        RmsNormEps = 1e-5,
    };
}
