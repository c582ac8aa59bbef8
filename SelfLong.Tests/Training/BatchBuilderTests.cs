using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using static TorchSharp.torch;

namespace SelfLong.Tests.Training;

public sealed class BatchBuilderTests
{
    private static readonly TrainingSample Short = new([new ChatMessage("user", "Q?")], "A.", IsLong: false);
    private static readonly TrainingSample Long = new([new ChatMessage("user", "Doc. Q?")], "A.", IsLong: true);

    [Fact]
    public void Encode_ShortSample_LearnsOnlyTheResponse()
    {
        var encoded = new BatchBuilder(ByteTokenizer.Instance, new LossRule()).Encode(Short);
        var learned = encoded.Ids.Where((_, i) => encoded.Learn[i]).ToList();
        Assert.Equal([(int)'A', (int)'.', ByteTokenizer.Instance.Chat.EndOfTurn], learned);
    }

    [Fact]
    public void Encode_LongSample_LearnsEveryToken()
    {
        var encoded = new BatchBuilder(ByteTokenizer.Instance, new LossRule()).Encode(Long);
        Assert.All(encoded.Learn, Assert.True);
    }

    [Fact]
    public void Build_PackedShortSamples_RestartsPositionsAndBlocksCrossAttention()
    {
        using var scope = NewDisposeScope();
        var builder = new BatchBuilder(ByteTokenizer.Instance, new LossRule());
        var length = builder.Encode(Short).Ids.Length; // 22 byte ids per sample
        var stream = new SampleStream([([Short], 1.0)], seed: 1);
        using var batch = builder.Build(stream, 1, 2 * length, packing: true, CPU);

        var positions = batch.PositionIds[0].data<long>().ToArray();
        Assert.Equal(0, positions[length - 1]);  // the second sample starts over at position 0
        Assert.NotNull(batch.Segments);
        Assert.Equal([length - 1, length - 1, 2], batch.Segments!.Rows[0]); // two samples' inputs, then padding
        using var mask = batch.Segments.ToDenseMask();
        using var rowMask = mask[0, 0];
        Assert.False(rowMask[length, length - 2].item<bool>()); // second sample cannot see the first
        Assert.True(rowMask[length, length - 1].item<bool>());  // but sees its own start
        Assert.Equal(6, batch.LearnedTokens); // "A." and end-of-turn, twice
    }
}

public sealed class BatchBuilderSkipTests
{
    [Fact]
    public void Build_SampleWhoseAnswerLiesPastTheStage_IsSkipped()
    {
        using var scope = NewDisposeScope();
        var builder = new BatchBuilder(ByteTokenizer.Instance, new LossRule());
        TrainingSample tooLong = new([new ChatMessage("user", new string('x', 200))], "far", IsLong: false);
        TrainingSample fits = new([new ChatMessage("user", "Q?")], "near", IsLong: false);
        var stream = new SampleStream([([tooLong], 1.0), ([fits], 1.0)], seed: 3);
        using var batch = builder.Build(stream, 4, 64, packing: false, CPU);

        // Every row holds the short sample: the long one's answer is past token 64, nothing to learn.
        var labels = batch.Labels.data<long>().ToArray();
        Assert.Equal(4 * ("near".Length + 1), labels.Count(l => l != LlamaForCausalLM.IgnoreIndex));
        Assert.True(stream.State.Taken[0] > 0, "the seed draws the long sample at least once in 4+ draws");
    }

    [Fact]
    public void Build_NothingFitsTheStage_SaysSo()
    {
        var builder = new BatchBuilder(ByteTokenizer.Instance, new LossRule());
        TrainingSample tooLong = new([new ChatMessage("user", new string('x', 200))], "far", IsLong: false);
        var stream = new SampleStream([([tooLong], 1.0)], seed: 3);
        var error = Assert.Throws<InvalidOperationException>(() => builder.Build(stream, 1, 64, packing: true, CPU));
        Assert.Contains("64 tokens", error.Message);
    }
}
