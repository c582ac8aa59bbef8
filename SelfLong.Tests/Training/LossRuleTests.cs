using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using static TorchSharp.torch;

namespace SelfLong.Tests.Training;

/// <summary>
/// The loss mask id by id: which labels a batch row carries (the next id, or the ignore index -100)
/// under the paper's rule and its ablations, written out here from the byte tokenizer's chat layout.
/// </summary>
public sealed class LossRuleTests
{
    private const long Ignore = -100;
    private const int BeginOfText = 256, EndOfText = 257, StartHeader = 258, EndHeader = 259, EndOfTurn = 260;

    private static readonly TrainingSample Short = new([new ChatMessage("user", "Q?")], "A.", IsLong: false);
    private static readonly TrainingSample Long = new([new ChatMessage("user", "Q?")], "A.", IsLong: true);

    /// <summary>The 28 ids of <see cref="Short"/>: begin, the user turn (11), the assistant turn (16).</summary>
    private static readonly long[] ShortIds =
    [
        BeginOfText, StartHeader, 'u', 's', 'e', 'r', EndHeader, '\n', '\n', 'Q', '?', EndOfTurn,
        StartHeader, 'a', 's', 's', 'i', 's', 't', 'a', 'n', 't', EndHeader, '\n', '\n', 'A', '.', EndOfTurn,
    ];

    [Theory]
    [InlineData(true, true, true, true)]
    [InlineData(true, false, true, false)]
    [InlineData(false, true, true, false)]
    [InlineData(false, true, false, true)]
    [InlineData(false, false, false, true)]
    [InlineData(true, true, false, true)]
    public void TrainsOnPrompt_LongFollowsItsSwitch_ShortTheOppositeOfResponseOnly(bool isLong, bool longAll, bool shortResponseOnly, bool expected) =>
        Assert.Equal(expected, new LossRule(longAll, shortResponseOnly).TrainsOnPrompt(Short with { IsLong = isLong }));

    [Fact]
    public void Build_ShortSample_LabelsOnlyTheReplyAndItsEnd_PaddingIgnoredWithPositionsRunningOn()
    {
        using var scope = NewDisposeScope();
        using var batch = new BatchBuilder(ByteTokenizer.Instance, new LossRule()).Build(Stream(Short), 1, 32, packing: false, CPU);

        var inputs = batch.InputIds.data<long>().ToArray();
        var labels = batch.Labels.data<long>().ToArray();
        Assert.Equal([.. ShortIds[..27], 0, 0, 0, 0, 0], inputs);
        // Input 24 (the newline before the reply) predicts 'A', 25 predicts '.', 26 the end of turn.
        long[] expected = [.. Enumerable.Repeat(Ignore, 24), 'A', '.', EndOfTurn, .. Enumerable.Repeat(Ignore, 5)];
        Assert.Equal(expected, labels);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => (long)i), batch.PositionIds.data<long>().ToArray());
        Assert.Equal(3, batch.LearnedTokens);
        Assert.Null(batch.Segments);
    }

    [Fact]
    public void Build_LongSample_LabelsEveryNextId()
    {
        using var scope = NewDisposeScope();
        using var batch = new BatchBuilder(ByteTokenizer.Instance, new LossRule()).Build(Stream(Long), 1, 30, packing: false, CPU);

        long[] expected = [.. ShortIds[1..], Ignore, Ignore, Ignore];
        Assert.Equal(expected, batch.Labels.data<long>().ToArray());
        Assert.Equal(27, batch.LearnedTokens);
    }

    [Fact]
    public void Build_LongSampleUnderTheResponseOnlyAblation_LabelsOnlyTheReply()
    {
        using var scope = NewDisposeScope();
        var rule = new LossRule(LongSamplesAllTokens: false);
        using var batch = new BatchBuilder(ByteTokenizer.Instance, rule).Build(Stream(Long), 1, 27, packing: false, CPU);

        long[] expected = [.. Enumerable.Repeat(Ignore, 24), 'A', '.', EndOfTurn];
        Assert.Equal(expected, batch.Labels.data<long>().ToArray());
        Assert.Equal(3, batch.LearnedTokens);
    }

    [Fact]
    public void Build_PlainText_EveryTokenLearned_EndOfTextLast()
    {
        using var scope = NewDisposeScope();
        var rule = new LossRule(LongSamplesAllTokens: false, ShortSamplesResponseOnly: true);
        using var batch = new BatchBuilder(ByteTokenizer.Instance, rule).Build(Stream(new TrainingSample([], "abc", IsLong: false)), 1, 6, packing: false, CPU);

        Assert.Equal([BeginOfText, 'a', 'b', 'c', 0, 0], batch.InputIds.data<long>().ToArray());
        Assert.Equal(['a', 'b', 'c', EndOfText, Ignore, Ignore], batch.Labels.data<long>().ToArray());
        Assert.Equal(4, batch.LearnedTokens);
    }

    [Fact]
    public void Fit_PlainTextLongerThanTheStage_KeepsTheFirstLengthPlusOneIds_CountsTheRest()
    {
        var builder = new BatchBuilder(ByteTokenizer.Instance, new LossRule());
        var (sample, cut) = builder.Fit(TrainingSample.PlainText("abcdefghij"), 4);

        // begin-of-text, ten bytes, end-of-text: 12 ids, of which 5 (4 inputs and the last label) stay.
        Assert.Equal([BeginOfText, 'a', 'b', 'c', 'd'], sample!.Ids);
        Assert.All(sample.Learn, Assert.True);
        Assert.Equal(7, cut);

        var (exact, none) = builder.Fit(TrainingSample.PlainText("abc"), 4);
        Assert.Equal([BeginOfText, 'a', 'b', 'c', EndOfText], exact!.Ids);
        Assert.Equal(0, none);
    }

    [Fact]
    public void Build_PackedRowFilledExactly_TwoSegments_OneIdShortStartsTheNextRow()
    {
        using var scope = NewDisposeScope();
        var builder = new BatchBuilder(ByteTokenizer.Instance, new LossRule());

        // Two samples of 27 inputs fill a row of 54 exactly.
        using (var full = builder.Build(Stream(Short), 1, 54, packing: true, CPU))
        {
            Assert.Equal([27, 27], full.Segments!.Rows[0]);
            Assert.Equal([.. ShortIds[..27], .. ShortIds[..27]], full.InputIds.data<long>().ToArray());
            Assert.Equal(6, full.LearnedTokens);
        }

        // In a row of 53 the second does not fit: it starts the next row, and the first row ends in padding.
        using var split = builder.Build(Stream(Short), 2, 53, packing: true, CPU);
        Assert.Null(split.Segments);
        var inputs = split.InputIds.data<long>().ToArray();
        Assert.Equal([.. ShortIds[..27], .. new long[26]], inputs[..53]);
        Assert.Equal([.. ShortIds[..27], .. new long[26]], inputs[53..]);
        Assert.Equal(6, split.LearnedTokens);
        Assert.Equal(Enumerable.Range(0, 53).Select(i => (long)i), split.PositionIds.data<long>().ToArray()[53..]);
    }

    private static SampleStream Stream(TrainingSample sample) => new([([sample], 1.0)], seed: 1);
}
