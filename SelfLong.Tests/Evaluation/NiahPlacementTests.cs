using System.Text.RegularExpressions;
using SelfLong.Jobs.Evaluation.Ruler;

namespace SelfLong.Tests.Evaluation;

/// <summary>
/// Where RULER's needles go and how the niah prompt reads (scripts/data/synthetic/niah.py): depths
/// from 40 evenly spaced points, needles shuffled before they are placed, the grammar and the list
/// of keys asked for. Byte counts and a plain essay keep the haystacks small and their units easy to count.
/// </summary>
public sealed partial class NiahPlacementTests
{
    /// <summary>np.round(np.linspace(0, 100, 40)), the depths RULER draws needles' places from.</summary>
    private static readonly int[] RulerDepths =
        [0, 3, 5, 8, 10, 13, 15, 18, 21, 23, 26, 28, 31, 33, 36, 38, 41, 44, 46, 49,
         51, 54, 56, 59, 62, 64, 67, 69, 72, 74, 77, 79, 82, 85, 87, 90, 92, 95, 97, 100];

    private static readonly IReadOnlyList<string> PlainEssay = [.. Enumerable.Range(0, 3000).Select(i => $"Sentence {i:D5} of a plain essay.")];

    private static readonly Lazy<RulerGenerator> Bytes = new(() => new ByteCounter().Generator(PlainEssay));

    /// <summary>Four values for one key, in each haystack RULER has: four needles a sample.</summary>
    private static RulerTask FourValues(NiahHaystack haystack) =>
        new($"niah_{haystack}_multivalue", RulerFamily.Niah, new NiahSpec(haystack, NiahItem.Words, NiahItem.Numbers, 1, 4, 1));

    // About 230 sentences: each depth puts a needle before a different sentence, so the sentences
    // before a needle say which depth it was given; over 60 samples all 40 depths are used.
    [Fact]
    public void Generate_EssayHaystack_NeedlesBeforeTheSentenceTheirDepthNames()
    {
        var used = new HashSet<int>();
        for (var index = 0; index < 60; index++)
        {
            var sample = Bytes.Value.Generate(FourValues(NiahHaystack.Essay), 8192, index);
            var pieces = EssayPiece().Matches(Context(sample)).Select(m => m.Value).ToList();
            foreach (var (before, units) in Places(pieces, sample.Outputs))
            {
                var depth = Assert.Single(RulerDepths, d => (int)(units * (d / 100.0)) == before);
                used.Add(depth);
            }
        }
        Assert.Equal(RulerDepths, used.Order());
    }

    // Noise lines and distractor needles: a needle goes before the line its depth names, depth 0
    // before the first line and depth 100 after the last.
    [Theory]
    [InlineData(NiahHaystack.Noise)]
    [InlineData(NiahHaystack.Needle)]
    public void Generate_LineHaystack_NeedlesBeforeTheLineTheirDepthNames(NiahHaystack haystack)
    {
        var ends = new HashSet<string>();
        for (var index = 0; index < 40; index++)
        {
            var sample = Bytes.Value.Generate(FourValues(haystack), 8192, index);
            foreach (var (before, units) in Places(Context(sample).Split('\n'), sample.Outputs))
            {
                Assert.Contains(RulerDepths, d => (int)(units * (d / 100.0)) == before);
                if (before == 0) ends.Add("first");
                if (before == units) ends.Add("last");
            }
        }
        Assert.Equal(["first", "last"], ends.Order());
    }

    // The context follows the instruction on the next line and ends on the line before the
    // question, with nothing between pieces but one separator.
    [Theory]
    [InlineData("niah_single_1")]
    [InlineData("niah_single_2")]
    [InlineData("niah_multikey_2")]
    public void Generate_Niah_ContextBetweenInstructionAndQuestion(string name)
    {
        var sample = Bytes.Value.Generate(RulerTask.Find(name), 4096, 0);

        Assert.Matches(@"afterwards\.\n(The|Sentence|One) ", sample.Input);
        Assert.Matches(@"\.\nWhat is the special magic number for [a-z]+-[a-z]+ mentioned in the provided text\?$", sample.Input);
        Assert.DoesNotContain("\n\n", sample.Input);
        Assert.DoesNotContain("  ", sample.Input);
    }

    // niah.py shuffles the needles before giving them their depths, so a key's values are not
    // planted in the order the answer lists them.
    [Fact]
    public void Generate_NiahMultivalue_ValuesPlantedInShuffledOrder()
    {
        var orders = Enumerable.Range(0, 10).Select(index =>
        {
            var sample = Bytes.Value.Generate(RulerTask.Find("niah_multivalue"), 4096, index);
            var planted = NumberNeedle().Matches(sample.Input).Select(m => m.Groups["value"].Value);
            return planted.SequenceEqual(sample.Outputs);
        }).ToList();

        Assert.Contains(false, orders);
    }

    // Singular only when one value is asked for (queries x values = 1); two keys asked for, two
    // values each, stay plural, and the keys are listed "a, and b" as niah.py joins them.
    [Fact]
    public void Generate_TwoQueriesOfTwoValues_PluralGrammarAndKeysListed()
    {
        var task = new RulerTask("niah_two_by_two", RulerFamily.Niah, new NiahSpec(NiahHaystack.Essay, NiahItem.Words, NiahItem.Numbers, 1, 2, 2));

        var sample = Bytes.Value.Generate(task, 4096, 0);

        Assert.StartsWith("Some special magic numbers are hidden within the following text.", sample.Input);
        Assert.Matches(@"\nWhat are all the special magic numbers for [a-z]+-[a-z]+, and [a-z]+-[a-z]+ mentioned in the provided text\?$", sample.Input);
        Assert.Matches(@"^ The special magic numbers for [a-z]+-[a-z]+, and [a-z]+-[a-z]+ mentioned in the provided text are$", sample.AnswerPrefix);
        Assert.Equal(4, sample.Outputs.Count);
    }

    [Fact]
    public void Generate_NiahMultiquery_FourKeysListedWithCommas()
    {
        var sample = Bytes.Value.Generate(RulerTask.Find("niah_multiquery"), 4096, 0);

        Assert.Matches(@"^ The special magic numbers for ([a-z]+-[a-z]+, ){3}and [a-z]+-[a-z]+ mentioned in the provided text are$", sample.AnswerPrefix);
    }

    /// <summary>The haystack with its needles: between the instruction's line and the question's.</summary>
    private static string Context(RulerSample sample) =>
        sample.Input[(sample.Input.IndexOf('\n') + 1)..sample.Input.LastIndexOf('\n')];

    /// <summary>For each planted needle (one holding an answer), the haystack units before it and in all.</summary>
    private static List<(int Before, int Units)> Places(IReadOnlyList<string> pieces, IReadOnlyList<string> answers)
    {
        bool Planted(string piece) => answers.Any(a => piece.StartsWith("One of", StringComparison.Ordinal) && piece.EndsWith($" {a}.", StringComparison.Ordinal));
        var units = pieces.Count(p => !Planted(p));
        var places = new List<(int, int)>();
        var before = 0;
        foreach (var piece in pieces)
        {
            if (Planted(piece)) places.Add((before, units));
            else before++;
        }
        Assert.Equal(answers.Count, places.Count);
        return places;
    }

    [GeneratedRegex(@"Sentence \d{5} of a plain essay\.|One of the special magic numbers? for [a-z]+-[a-z]+ is: \d{7}\.")]
    private static partial Regex EssayPiece();

    [GeneratedRegex(@"One of the special magic numbers for [a-z]+-[a-z]+ is: (?<value>\d{7})\.")]
    private static partial Regex NumberNeedle();
}
