using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace SelfLong.Jobs.Models;

/// <summary>
/// The LM head and next-token cross-entropy over chunks of rows, fused (as Liger's
/// FusedLinearCrossEntropy): (N, vocab) logits never exist, only one chunk's. With gradients on,
/// the forward also computes d loss / d hidden and d loss / d weight chunk by chunk, and backward
/// only scales them by the incoming gradient, so the head's matmuls run once each, as in plain
/// autograd. Returns the summed loss over rows whose label is not <see cref="LlamaForCausalLM.IgnoreIndex"/>.
/// </summary>
public sealed class ChunkedCrossEntropy : SingleTensorFunction<ChunkedCrossEntropy>
{
    /// <summary>
    /// Logit elements per chunk: 32 Mi floats (128 MiB), about 260 rows at Llama-3's 128,256 words.
    /// A chunk's logits are a fixed cost of every step, so they are kept small next to the
    /// activations that grow with length; 260 rows still keep the head's matmul compute-bound.
    /// </summary>
    public const long ChunkElements = 1L << 25;

    private const string GradientsKey = "gradients";

    public override string Name => nameof(ChunkedCrossEntropy);

    /// <summary>Rows per chunk for a vocabulary, never more than the model's sequence chunk.</summary>
    public static long ChunkRows(long vocab, int chunkTokens) => Math.Min(chunkTokens, Math.Max(1, ChunkElements / vocab));

    /// <summary>
    /// Summed NLL of <paramref name="labels"/> (N) under logits hidden (N, hidden) x weight^T,
    /// the matmul in <paramref name="computeType"/>, softmax in float32.
    /// </summary>
    public static Tensor SumLoss(Tensor hidden, Tensor weight, Tensor labels, ScalarType computeType, long chunkRows)
    {
        var wantsGradients = is_grad_enabled() && (hidden.requires_grad || weight.requires_grad);
        if (hidden.shape[0] <= chunkRows)
        {
            // One chunk: plain autograd is the same computation with nothing to save.
            using var scope = NewDisposeScope();
            var logits = nn.functional.linear(hidden.to_type(computeType), weight.to_type(computeType)).to_type(ScalarType.Float32);
            return nn.functional.cross_entropy(logits, labels, ignore_index: LlamaForCausalLM.IgnoreIndex, reduction: nn.Reduction.Sum).MoveToOuterDisposeScope();
        }
        if (!wantsGradients) return Chunks(hidden, weight, labels, computeType, chunkRows, gradients: null);
        return apply(hidden, weight, labels, computeType, chunkRows);
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var hidden = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        var gradients = new Gradients(zeros_like(hidden), zeros(weight.shape, dtype: ScalarType.Float32, device: weight.device), weight.dtype);
        var loss = Chunks(hidden, weight, (Tensor)vars[2], (ScalarType)vars[3], (long)vars[4], gradients);
        ctx.save_data(GradientsKey, gradients);
        return loss;
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        HandedBackGradients.Release();
        using var gradients = (Gradients)ctx.get_data(GradientsKey);
        using var scope = NewDisposeScope();
        var scale = gradOutput.to_type(ScalarType.Float32);
        // Scaled in place and handed over whole: a (T, hidden) and a (V, hidden) copy less at the
        // step's peak.
        var (hidden, weight) = gradients.Take();
        hidden.mul_(scale.to_type(hidden.dtype));
        weight.mul_(scale);
        if (weight.dtype != gradients.WeightType)
        {
            var cast = weight.to_type(gradients.WeightType);
            weight.Dispose();
            weight = cast;
        }
        return [HandedBackGradients.Hand(hidden), HandedBackGradients.Hand(weight), null!, null!, null!];
    }

    private static Tensor Chunks(Tensor hidden, Tensor weight, Tensor labels, ScalarType computeType, long chunkRows, Gradients? gradients)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = weight.to_type(computeType);                                         // (V, hidden)
        var total = zeros([], dtype: ScalarType.Float64, device: hidden.device);
        var rows = hidden.shape[0];
        for (long start = 0; start < rows; start += chunkRows)
        {
            using var chunkScope = NewDisposeScope();
            var n = Math.Min(chunkRows, rows - start);
            var h = hidden.narrow(0, start, n).to_type(computeType);               // (n, hidden)
            var label = labels.narrow(0, start, n);                                  // (n)
            var valid = label.ne(LlamaForCausalLM.IgnoreIndex);
            var target = where(valid, label, zeros_like(label)).unsqueeze(1);       // (n, 1)
            var logProbs = LogSoftmaxInPlace(nn.functional.linear(h, w));                  // (n, V)
            var picked = logProbs.gather(1, target).squeeze(1);                      // (n)
            total.sub_(picked.masked_fill(valid.logical_not(), 0).sum().to_type(ScalarType.Float64));
            if (gradients is null) continue;
            // d NLL / d logits = softmax - one_hot(label), zero on ignored rows.
            var dLogits = logProbs.exp_();
            dLogits.scatter_add_(1, target, full([n, 1], -1f, device: h.device));
            dLogits.mul_(valid.unsqueeze(1));
            var d = dLogits.to_type(computeType);
            gradients.Hidden.narrow(0, start, n).copy_(d.matmul(w));                // (n, hidden)
            // In float32 the weight's gradient accumulates in place: no (V, hidden) product per chunk.
            if (computeType == ScalarType.Float32) gradients.Weight.addmm_(d.t(), h);
            else gradients.Weight.add_(d.t().matmul(h).to_type(ScalarType.Float32)); // (V, hidden)
        }
        return total.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// float32 log-probabilities of a chunk's logits, computed in the logits' own buffer when they
    /// are float32 already (log_softmax would allocate a second (n, V) buffer beside them).
    /// </summary>
    private static Tensor LogSoftmaxInPlace(Tensor logits)
    {
        var full = logits.dtype == ScalarType.Float32 ? logits : logits.to_type(ScalarType.Float32);
        if (!ReferenceEquals(full, logits)) logits.Dispose();
        return full.sub_(full.logsumexp(-1, keepdim: true));
    }

    /// <summary>The unscaled gradients computed in forward, kept until backward.</summary>
    private sealed class Gradients(Tensor hidden, Tensor weight, ScalarType weightType) : IDisposable
    {
        public ScalarType WeightType { get; } = weightType;

        public Tensor Hidden { get; } = hidden.DetachFromDisposeScope();

        public Tensor Weight { get; } = weight.DetachFromDisposeScope();

        private bool taken;

        /// <summary>Hands both tensors to the caller, who disposes them from now on.</summary>
        public (Tensor Hidden, Tensor Weight) Take()
        {
            taken = true;
            return (Hidden, Weight);
        }

        public void Dispose()
        {
            if (taken) return;
            Hidden.Dispose();
            Weight.Dispose();
        }
    }
}
