using System.Text;
using SelfLong.Jobs.Evaluation.Ruler;

namespace SelfLong.Tests.Evaluation;

/// <summary>
/// How a haystack is sized to its length, with byte counts so the sizes can be worked out by hand:
/// the most units that fit, found on the pieces' summed counts and confirmed by one count of the
/// whole prompt; one top-up when that count falls well short, a step down when it is over.
/// </summary>
public sealed class RulerFitTests
{
    /// <summary>A noise line with its line break: the five sentences are 89 bytes.</summary>
    private const int NoiseLine = 90;

    private const string NiahNoise = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";

    /// <summary>Prose of equal sentences, 33 bytes each with the space before it.</summary>
    private static readonly IReadOnlyList<string> PlainEssay = [.. Enumerable.Range(0, 3000).Select(i => $"Sentence {i:D5} of a plain essay.")];

    // With byte counts the pieces' sum is the prompt's count, so the haystack is sized without
    // tokenizing any candidate prompt: the one whole prompt counted is the one returned.
    [Theory]
    [InlineData("niah_single_1", 16384)]
    [InlineData("niah_single_2", 16384)]
    [InlineData("niah_multikey_2", 16384)]
    [InlineData("niah_multikey_3", 16384)]
    [InlineData("niah_multikey_3", 65536)]
    [InlineData("vt", 16384)]
    [InlineData("cwe", 16384)]
    [InlineData("fwe", 16384)]
    public void Generate_ExactTokenizer_CountsTheWholePromptOnce(string name, int length)
    {
        var counter = new ByteCounter();
        var task = RulerTask.Find(name);

        var sample = counter.Generator(PlainEssay).Generate(task, length, index: 2);

        Assert.Equal(1, counter.CountedAtLeast(length * 3 / 4));
        Assert.InRange(sample.Length + task.TokensToGenerate, length * 0.98, length);
    }

    // Every length from 8192 to 8192 + 89 (one of them filled exactly by whole lines): the haystack
    // holds the most noise lines that stay within the length, so under one line is left over.
    [Theory]
    [InlineData("niah_single_1")]
    [InlineData("vt")]
    public void Generate_NoiseHaystack_MostLinesThatFitAtEveryLength(string name)
    {
        var task = RulerTask.Find(name);
        var generator = new ByteCounter().Generator();
        for (var length = 8192; length < 8192 + NoiseLine; length++)
        {
            var sample = generator.Generate(task, length, index: 0);
            Assert.InRange(length - task.TokensToGenerate - sample.Length, 0, NoiseLine - 1);
        }
    }

    // The whole prompt counts 300 or 600 tokens under its pieces, more than the 1.5 % of 16k that a
    // first count may fall short by: one top-up adds the lines the gap holds less one, so that it
    // stays under the length without a third count, but no more lines than the room would hold at
    // the measured cost of a line (room / 90 + 1), which a 600-token gap reaches.
    [Theory]
    [InlineData(-300)]
    [InlineData(-600)]
    public void Generate_PromptCheaperThanItsLines_OneTopUpByTheLinesTheGapHolds(int shift)
    {
        const int length = 16384;
        var counter = new ByteCounter(longText: 12000, longTextShift: shift);
        var task = RulerTask.Find("niah_single_1");

        var sample = counter.Generator().Generate(task, length, index: 1);

        var lines = sample.Input.Split('\n').Count(l => l == NiahNoise);
        var overhead = Encoding.UTF8.GetByteCount(sample.Input) - lines * NoiseLine;
        var room = length - task.TokensToGenerate - Encoding.UTF8.GetByteCount(sample.AnswerPrefix);
        var first = (room - overhead) / NoiseLine;
        var gap = room - (overhead + first * NoiseLine + shift);
        Assert.Equal(Math.Min(room / NoiseLine + 1, first + gap / NoiseLine - 1), lines);
        Assert.Equal(2, counter.CountedAtLeast(12000));
    }

    // The same with distractor needles (whose sizes vary with their keys): the top-up ends within two
    // distractors of the length.
    [Fact]
    public void Generate_PromptCheaperThanItsDistractors_OneTopUpFillsTheGap()
    {
        const int length = 16384;
        var counter = new ByteCounter(longText: 12000, longTextShift: -600);
        var task = RulerTask.Find("niah_multikey_2");

        var sample = counter.Generator().Generate(task, length, index: 1);

        Assert.Equal(2, counter.CountedAtLeast(12000));
        var longest = sample.Input.Split('\n').Where(l => l.StartsWith("One of the special magic", StringComparison.Ordinal)).Max(l => l.Length + 1);
        Assert.InRange(length - task.TokensToGenerate - sample.Length, 0, 2 * longest);
    }

    // RULER allows 2 %: a first count short by under 1.5 % of the room stands (32k: 300 to 389 tokens
    // short, under 491), and so does one short by more but by under two lines (10k: 162 short, over
    // 150 but under 180), since a top-up of the lines the gap holds, less one, would add none.
    [Theory]
    [InlineData(32768, 20000, -300, 300, 389)]
    [InlineData(10240, 9500, -130, 151, 179)]
    public void Generate_FirstCountShortOfATopUp_CountedOnce(int length, int longText, int shift, int spareFrom, int spareTo)
    {
        var counter = new ByteCounter(longText, shift);
        var task = RulerTask.Find("niah_single_1");

        var sample = counter.Generator().Generate(task, length, index: 1);

        Assert.Equal(1, counter.CountedAtLeast(longText));
        Assert.InRange(length - task.TokensToGenerate - sample.Length, spareFrom, spareTo);
    }

    // Distractor needles are counted one by one only up to 128 (every one of a short sample), then
    // costed at their mean: counting each would tokenize the whole haystack a second time. The
    // first is counted twice, once to measure what a line break between two adds.
    [Fact]
    public void Generate_NeedleHaystackPast128Distractors_CountsOnly128OneByOne()
    {
        var counter = new ByteCounter();

        var sample = counter.Generator().Generate(RulerTask.Find("niah_multikey_3"), 65536, index: 0);

        Assert.True(sample.Input.Split('\n').Length > 500, "not past 128 distractors");
        Assert.Equal(129, counter.Counted(t => t.StartsWith("One of the special magic", StringComparison.Ordinal) && !t.Contains('\n')));
    }

    // The whole prompt counts 500 tokens over its pieces: the first count is over the length, and
    // one step down by the units the excess takes (at the units' mean size) brings it under.
    [Theory]
    [InlineData("niah_single_1", NoiseLine)]
    [InlineData("vt", NoiseLine)]
    [InlineData("cwe", 245)]
    public void Generate_PromptDearerThanItsPieces_OneStepDown(string name, int spareAtMost)
    {
        const int length = 16384;
        var counter = new ByteCounter(longText: 12000, longTextShift: 500);
        var task = RulerTask.Find(name);

        var sample = counter.Generator().Generate(task, length, index: 1);

        Assert.Equal(2, counter.CountedAtLeast(12000));
        Assert.InRange(length - task.TokensToGenerate - sample.Length, 0, spareAtMost);
    }
}
