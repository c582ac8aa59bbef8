using TorchSharp;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// LlamaModel plus the language-model head. With tie_word_embeddings the head reuses
/// model.embed_tokens.weight and has no parameter of its own, so the state dict matches the
/// Hugging Face file exactly (no lm_head.weight key).
/// </summary>
public sealed class LlamaForCausalLM : nn.Module
{
    /// <summary>Label value that contributes no loss (PyTorch's cross_entropy default).</summary>
    public const long IgnoreIndex = -100;

    private readonly LlamaModel model;
    private readonly LlamaLinear? lm_head;

    /// <param name="initialize">False when weights are about to be loaded: skips the random init.</param>
    public LlamaForCausalLM(LlamaConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32, bool initialize = true) : base(nameof(LlamaForCausalLM))
    {
        config.Validate();
        Config = config;
        device ??= CPU;
        model = new LlamaModel(config, device, dtype);
        if (!config.TieWordEmbeddings) lm_head = new LlamaLinear(config.HiddenSize, config.VocabSize, device, dtype);
        RegisterComponents();
        if (initialize && device.type != DeviceType.META) InitializeWeights(config.InitializerRange);
    }

    public LlamaConfig Config { get; }

    public LlamaModel Model => model;

    /// <summary>Checkpointing and chunking for long sequences (off unless the trainer sets them).</summary>
    public LongSequence LongSequence
    {
        get => model.LongSequence;
        set => model.LongSequence = value;
    }

    public Device Device => model.EmbedTokens.weight!.device;

    /// <summary>
    /// Sets a new RoPE base and context length, as a progressive stage does; the weights are
    /// unchanged and the saved config.json carries both values.
    /// </summary>
    public void SetRope(double theta, int maxPositions)
    {
        Config.RopeTheta = theta;
        Config.MaxPositionEmbeddings = maxPositions;
        Config.Validate();
        model.ResetRotary(Config);
    }

    /// <summary>Run the projections in this type (bf16 on CUDA); null computes in the weights' type.</summary>
    public void SetComputeType(ScalarType? computeType)
    {
        foreach (var linear in modules().OfType<LlamaLinear>()) linear.ComputeType = computeType;
    }

    /// <summary>Hugging Face's _init_weights: normal(0, initializer_range) for projections and embeddings.</summary>
    private void InitializeWeights(double std)
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("layernorm.weight") || name == "model.norm.weight") p.fill_(1.0);
            else p.normal_(0, std);
        }
    }

    /// <summary>(B, T, hidden) to (B, T, vocab) logits, in float32.</summary>
    public Tensor Logits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var logits = lm_head is not null ? lm_head.forward(hidden) : nn.functional.linear(hidden, model.EmbedTokens.weight!);
        return logits.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>(B, T) ids to (B, T, vocab) logits.</summary>
    public Tensor Forward(Tensor inputIds, Tensor? positionIds = null, Tensor? mask = null, KvCache? cache = null, PackedSegments? segments = null)
    {
        using var scope = NewDisposeScope();
        return Logits(model.Forward(inputIds, positionIds, mask, cache, segments)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Summed next-token cross-entropy. <paramref name="labels"/> (B, T) holds the token each position
    /// should predict (already shifted) or <see cref="IgnoreIndex"/>. The LM head and the loss run
    /// over chunks of rows, so (B, T, vocab) logits are never held.
    /// </summary>
    public Tensor LossSum(Tensor inputIds, Tensor labels, Tensor? positionIds = null, Tensor? mask = null, PackedSegments? segments = null)
    {
        using var scope = NewDisposeScope();
        var hidden = model.Forward(inputIds, positionIds, mask, segments: segments);  // (B, T, hidden)
        var weight = lm_head?.Weight ?? model.EmbedTokens.weight!;                    // (V, hidden)
        var computeType = lm_head?.ComputeType ?? hidden.dtype;
        var loss = ChunkedCrossEntropy.SumLoss(
            hidden.view(-1, hidden.shape[^1]), weight, labels.view(-1), computeType, ChunkedCrossEntropy.ChunkRows(Config.VocabSize, LongSequence.ChunkTokens));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Mean next-token cross-entropy over the labelled positions (see <see cref="LossSum"/>).</summary>
    public Tensor Loss(Tensor inputIds, Tensor labels, Tensor? positionIds = null, Tensor? mask = null, PackedSegments? segments = null)
    {
        using var scope = NewDisposeScope();
        var count = labels.ne(IgnoreIndex).sum().to_type(ScalarType.Float32).clamp_min(1);
        return (LossSum(inputIds, labels, positionIds, mask, segments) / count).MoveToOuterDisposeScope();
    }
}
