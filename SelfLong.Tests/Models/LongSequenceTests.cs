using SelfLong.Jobs.Models;
using static TorchSharp.torch;

namespace SelfLong.Tests.Models;

/// <summary>
/// The long-sequence paths (segment-wise attention, layer checkpoints, chunked MLP and loss) give
/// the same loss, logits and gradients as the plain ones: dense block-causal mask, every
/// activation kept, (T, vocab) logits.
/// </summary>
public sealed class LongSequenceTests
{
    private const double Tolerance = 1e-5;

    /// <summary>Two rows of 20 tokens: three samples plus padding, and one sample alone.</summary>
    private static readonly PackedSegments Packed = new([[7, 5, 6, 2], [20]]);

    private static LlamaForCausalLM Model(bool tied = true)
    {
        manual_seed(11);
        var config = SelfLongTiny.Config(maxPositions: 64, hidden: 32, layers: 2);
        config.TieWordEmbeddings = tied;
        return new LlamaForCausalLM(config);
    }

    private static (Tensor Ids, Tensor Labels, Tensor Positions) Inputs()
    {
        manual_seed(12);
        var ids = randint(0, 256, [2, 21], dtype: ScalarType.Int64);
        var labels = ids.narrow(1, 1, 20).clone();
        labels[0, 3] = tensor(LlamaForCausalLM.IgnoreIndex); // a prompt token: no loss
        var positions = new long[40];
        var at = 0;
        foreach (var row in Packed.Rows)
            foreach (var length in row)
                for (var i = 0; i < length; i++) positions[at++] = i;
        return (ids.narrow(1, 0, 20), labels, tensor(positions, [2, 20]));
    }

    /// <summary>The loss and every parameter's gradient after one backward.</summary>
    private static (float Loss, Dictionary<string, Tensor> Grads) Backward(LlamaForCausalLM model, Func<Tensor> loss)
    {
        model.zero_grad();
        var value = loss();
        value.backward();
        HandedBackGradients.Release();
        return (value.item<float>(), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
    }

    private static void AssertSame((float Loss, Dictionary<string, Tensor> Grads) expected, (float Loss, Dictionary<string, Tensor> Grads) actual)
    {
        Assert.Equal(expected.Loss, actual.Loss, Tolerance * Math.Abs(expected.Loss));
        Assert.Equal(expected.Grads.Keys.Order(), actual.Grads.Keys.Order());
        foreach (var (name, grad) in expected.Grads)
            Assert.True(allclose(grad, actual.Grads[name], rtol: Tolerance, atol: Tolerance),
                $"{name}: max difference {(grad - actual.Grads[name]).abs().max().item<float>():E2}");
    }

    [Fact]
    public void Forward_SegmentWiseAttention_EqualsDenseMaskLogits()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var (ids, _, positions) = Inputs();
        using var _ = no_grad();
        var dense = model.Forward(ids, positions, mask: Packed.ToDenseMask());
        var segmented = model.Forward(ids, positions, segments: Packed);
        Assert.True(allclose(dense, segmented, rtol: Tolerance, atol: Tolerance), $"max difference {(dense - segmented).abs().max().item<float>():E2}");
        Assert.False(allclose(dense, model.Forward(ids, positions), rtol: Tolerance, atol: Tolerance), "plain causal attention would see across samples");
    }

    [Fact]
    public void LossSum_SegmentWiseAttention_GradientsEqualDenseMask()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var (ids, labels, positions) = Inputs();
        var mask = Packed.ToDenseMask();
        AssertSame(
            Backward(model, () => model.LossSum(ids, labels, positions, mask: mask)),
            Backward(model, () => model.LossSum(ids, labels, positions, segments: Packed)));
    }

    [Fact]
    public void LossSum_CheckpointedLayers_GradientsEqualKeptActivations()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var (ids, labels, positions) = Inputs();
        var kept = Backward(model, () => model.LossSum(ids, labels, positions, segments: Packed));
        model.LongSequence = new LongSequence(CheckpointAboveTokens: 8, ChunkTokens: int.MaxValue);
        AssertSame(kept, Backward(model, () => model.LossSum(ids, labels, positions, segments: Packed)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LossSum_ChunkedMlpHeadAndLoss_EqualsUnchunked(bool tiedHead)
    {
        using var scope = NewDisposeScope();
        using var model = Model(tiedHead);
        var (ids, labels, positions) = Inputs();
        var whole = Backward(model, () => model.LossSum(ids, labels, positions, segments: Packed));
        model.LongSequence = new LongSequence(CheckpointAboveTokens: int.MaxValue, ChunkTokens: 3); // 40 rows in 14 chunks
        AssertSame(whole, Backward(model, () => model.LossSum(ids, labels, positions, segments: Packed)));
    }

    [Fact]
    public void LossSum_EverySaverTogether_EqualsDenseMaskWithEverythingKept()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var (ids, labels, positions) = Inputs();
        var mask = Packed.ToDenseMask();
        var plain = Backward(model, () => model.LossSum(ids, labels, positions, mask: mask));
        model.LongSequence = new LongSequence(CheckpointAboveTokens: 8, ChunkTokens: 6);
        AssertSame(plain, Backward(model, () => model.LossSum(ids, labels, positions, segments: Packed)));
    }

    [Fact]
    public void LossSum_WithoutGradients_EqualsSumOfTokenNlls()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var (ids, labels, positions) = Inputs();
        using var _ = no_grad();
        var logits = model.Forward(ids, positions, segments: Packed);                      // (2, 20, V)
        var expected = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), labels.view(-1), ignore_index: LlamaForCausalLM.IgnoreIndex, reduction: nn.Reduction.Sum).item<float>();
        model.LongSequence = new LongSequence(CheckpointAboveTokens: 8, ChunkTokens: 7);
        Assert.Equal(expected, model.LossSum(ids, labels, positions, segments: Packed).item<float>(), Tolerance * expected);
    }
}
