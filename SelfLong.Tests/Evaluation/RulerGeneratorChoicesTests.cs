using System.Text.RegularExpressions;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Text;

namespace SelfLong.Tests.Evaluation;

/// <summary>
/// The choices RULER's scripts make for vt, cwe, fwe and qa, as a reader of a prompt sees them: the
/// size of the worked examples, where a chain's lines go, how lists are numbered and shuffled, how
/// large fwe's vocabulary is and how qa's documents are laid out.
/// </summary>
public sealed partial class RulerGeneratorChoicesTests
{
    // variable_tracking.py puts a worked example of about 500 tokens in front: noise lines are added
    // while the example stays within 500 tokens.
    [Fact]
    public void Generate_VariableTracking_WorkedExampleOfUpTo500Tokens()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("vt"), 4096, 0);

        var example = sample.Input[..sample.Input.LastIndexOf("\n\nMemorize and track", StringComparison.Ordinal)];
        var noiseLine = RulerFixtures.Generator.Resources.NoiseLineCost;
        Assert.InRange(RulerFixtures.Count(example), 500 - noiseLine, 500);
    }

    // Both chains (the example's and the question's) keep all five lines, in order, at random places
    // among the noise: some samples have noise between them, and any place may be taken, the last too.
    [Fact]
    public void Generate_VariableTracking_ChainLinesInOrderAtRandomPlaces()
    {
        var spread = false;
        var last = false;
        for (var index = 0; index < 10; index++)
        {
            var sample = RulerFixtures.Generator.Generate(RulerTask.Find("vt"), 4096, index);
            foreach (var question in sample.Input.Split("\n\nMemorize and track"))
            {
                var lines = question.Split('\n');
                var chain = lines.Select((l, i) => (Line: l, At: i)).Where(x => x.Line.StartsWith("VAR ", StringComparison.Ordinal)).ToList();
                Assert.Equal(5, chain.Count);
                Assert.Matches(@"^VAR [A-Z]+ = \d{5}$", chain[0].Line);
                for (var hop = 1; hop < 5; hop++)
                    Assert.Matches($"^VAR [A-Z]+ = VAR {chain[hop - 1].Line.Split(' ')[1]} $", chain[hop].Line);
                spread |= chain[^1].At - chain[0].At > 4;
                last |= lines[chain[^1].At + 1].StartsWith("Question:", StringComparison.Ordinal);
            }
        }
        Assert.True(spread, "no noise between a chain's lines");
        Assert.True(last, "no chain line in the last place");
    }

    // common_words_extraction.py: below 4096 tokens the example lists 20 words (3 times and once),
    // from 4096 on 40 words (10 times and 3 times); its answer names its 10 common words.
    [Theory]
    [InlineData(2048, 20, 3, 1)]
    [InlineData(4095, 20, 3, 1)]
    [InlineData(4096, 40, 10, 3)]
    public void Generate_CommonWords_WorkedExampleSizedByLength(int length, int words, int common, int uncommon)
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("cwe"), length, 1);

        var question = sample.Input.IndexOf("\nQuestion:", StringComparison.Ordinal);
        var entries = NumberedList(sample.Input[..question]);
        var counts = entries.GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(words, counts.Count);
        var commonWords = counts.Where(c => c.Value == common).Select(c => c.Key).ToList();
        Assert.Equal(10, commonWords.Count);
        Assert.All(counts.Values, c => Assert.True(c == common || c == uncommon, $"a word {c} times"));
        var answer = Regex.Match(sample.Input, @"list are: (.*)\nBelow is a numbered list").Groups[1].Value;
        Assert.Matches(@"^1\. \S+ 2\. \S+ 3\. \S+ 4\. \S+ 5\. \S+ 6\. \S+ 7\. \S+ 8\. \S+ 9\. \S+ 10\. \S+$", answer);
        Assert.Equal(commonWords.Order(), NumberedList(answer).Order());
    }

    // The list is numbered 1, 2, 3 ... with the entries in shuffled order, so a common word's
    // entries are not side by side; which words are common changes from sample to sample.
    [Fact]
    public void Generate_CommonWords_ShuffledListNumberedFromOne()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("cwe"), 4096, 0);
        var other = RulerFixtures.Generator.Generate(RulerTask.Find("cwe"), 4096, 1);

        var list = sample.Input[sample.Input.LastIndexOf("Below is a numbered list", StringComparison.Ordinal)..];
        var entries = NumberedList(list);
        Assert.True(entries.Count > 300);
        Assert.True(entries.Take(30).Distinct().Count() > 1, "a common word's 30 entries side by side");
        Assert.NotEqual(sample.Outputs.Order(), other.Outputs.Order());
    }

    // freq_words_extraction.py: a vocabulary of length // 50 coded words. With a tokenizer of one
    // token a word, a length of about 1,000 tokens holds about 900 words, enough for Zipf counts to
    // reach rank 20: all 20 words of the vocabulary appear ("..." among them), and no 21st. Every
    // word costs one token, so the estimate the text is sized on is exact, to the last rank, and the
    // prompt is counted whole once.
    [Theory]
    [InlineData(1010)]
    [InlineData(1040)]
    public void Generate_FrequentWords_VocabularyOfLengthOverFifty(int length)
    {
        var counter = new WordCounter();
        var generator = new RulerGenerator(RulerResources.Create(counter));

        var sample = generator.Generate(RulerTask.Find("fwe"), length, 0);

        var words = CodedWords(sample);
        Assert.Equal(length / 50, words.Distinct().Count());
        Assert.Contains("...", words);
        Assert.Equal(1, counter.Prompts);
    }

    // The vocabulary is shuffled before ranks are given (so the answer is not the alphabetically
    // first words), and the text is shuffled (so a word's repeats are not side by side).
    [Fact]
    public void Generate_FrequentWords_RanksAndTextShuffled()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("fwe"), 8192, 0);

        var words = CodedWords(sample);
        var ranked = words.GroupBy(w => w).OrderByDescending(g => g.Count()).Select(g => g.Key).ToList();
        Assert.NotEqual(ranked.Skip(1).Take(6).Order(StringComparer.Ordinal), ranked.Skip(1).Take(6));
        var repeats = words.Zip(words.Skip(1)).Count(p => p.First == p.Second);
        Assert.True(repeats < words.Length / 2, $"{repeats} of {words.Length} words repeat the word before");
    }

    // qa.py: documents "Document i:\n{text}" numbered from 1, a blank line before each, the gold
    // documents shuffled in among the distractors rather than first.
    [Fact]
    public void Generate_Qa_DocumentsNumberedFromOneWithGoldShuffledIn()
    {
        var squad = RulerFixtures.Generator.Resources.Squad!;
        var goldFirst = 0;
        for (var index = 0; index < 6; index++)
        {
            var sample = RulerFixtures.Generator.Generate(RulerTask.Find("qa_1"), 4096, index);
            var labels = DocumentLabel().Matches(sample.Input).Select(m => int.Parse(m.Groups[1].Value)).ToList();
            Assert.Equal(Enumerable.Range(1, labels.Count), labels);
            Assert.Contains("The following are given documents.\n\nDocument 1:\n", sample.Input);
            Assert.Equal(labels.Count, Regex.Matches(sample.Input, @"\n\nDocument \d+:\n").Count);
            var gold = squad.Documents[squad.Questions[index % squad.Questions.Count].Gold[0]];
            if (sample.Input.Contains($"Document 1:\n{gold}\n", StringComparison.Ordinal)) goldFirst++;
        }
        Assert.True(goldFirst < 6, "the gold document is always the first");
    }

    /// <summary>The words of "1. a 2. b ...", checking that they are numbered 1, 2, 3 ...</summary>
    private static List<string> NumberedList(string text)
    {
        var entries = ListEntry().Matches(text).ToList();
        Assert.Equal(Enumerable.Range(1, entries.Count), entries.Select(m => int.Parse(m.Groups[1].Value)));
        return entries.Select(m => m.Groups[2].Value).ToList();
    }

    /// <summary>The coded text of an fwe prompt, word by word.</summary>
    private static string[] CodedWords(RulerSample sample)
    {
        var text = sample.Input[..sample.Input.IndexOf("\nQuestion:", StringComparison.Ordinal)];
        return text[(text.IndexOf("coded words. ", StringComparison.Ordinal) + "coded words. ".Length)..].Split(' ');
    }

    /// <summary>One token for each run of non-space characters; it counts the whole prompts (over 3,000 characters) it is given.</summary>
    private sealed class WordCounter : ITokenCounter
    {
        private int prompts;

        public string Name => "words";

        public int Prompts => Volatile.Read(ref prompts);

        public int CountTokens(string text)
        {
            if (text.Length > 3000) Interlocked.Increment(ref prompts);
            return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        }

        public string Truncate(string text, int maxTokens) => throw new NotSupportedException("RULER generation does not truncate.");
    }

    [GeneratedRegex(@"(\d+)\. (\S+)")]
    private static partial Regex ListEntry();

    [GeneratedRegex(@"Document (\d+):\n")]
    private static partial Regex DocumentLabel();
}
