using System.Text.RegularExpressions;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Text;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Evaluation;

public sealed partial class RulerGeneratorTests
{
    public static TheoryData<string, int> TasksAndLengths()
    {
        var data = new TheoryData<string, int>();
        foreach (var task in RulerTask.All)
            foreach (var length in RulerTask.DefaultLengths)
                data.Add(task.Name, length);
        return data;
    }

    [Theory]
    [MemberData(nameof(TasksAndLengths))]
    public void Generate_EachTask_PlantsAnswersAndFitsTokenBudget(string name, int length)
    {
        var task = RulerTask.Find(name);
        var sample = RulerFixtures.Generator.Generate(task, length, index: 3, seed: 7);

        Assert.NotEmpty(sample.Outputs);
        foreach (var output in sample.Outputs) Assert.Contains(output, sample.Input);
        var promptTokens = RulerFixtures.Count(sample.Input) + RulerFixtures.Count(sample.AnswerPrefix);
        Assert.Equal(promptTokens, sample.Length);
        Assert.True(promptTokens + task.TokensToGenerate <= length, $"{name}: {promptTokens} + {task.TokensToGenerate} > {length}");
        // The haystack fills the budget rather than stopping short (QA repeats its hand-made documents).
        Assert.True(promptTokens + task.TokensToGenerate >= length * 0.98, $"{name}: only {promptTokens} tokens at {length}");
    }

    public static TheoryData<string, int> TasksPastDefaultLengths()
    {
        var data = new TheoryData<string, int>();
        foreach (var task in RulerTask.All)
            foreach (var length in new[] { 262144, 524288, 1048576 })
                data.Add(task.Name, length);
        return data;
    }

    [Theory]
    [Slow]
    [MemberData(nameof(TasksPastDefaultLengths))]
    public void Generate_EachTaskTo1M_WithinTwoPercentOfLength(string name, int length)
    {
        var task = RulerTask.Find(name);
        var sample = RulerFixtures.Generator.Generate(task, length, index: 1, seed: 3);

        var tokens = RulerFixtures.Count(sample.Input) + RulerFixtures.Count(sample.AnswerPrefix) + task.TokensToGenerate;
        Assert.InRange(tokens, length * 0.98, length);
        foreach (var output in sample.Outputs) Assert.Contains(output, sample.Input);
    }

    [Fact]
    public void Generate_CommonWordsPastWordNet_UsesShuffledScowlWordsEachAtItsFrequency()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("cwe"), 524288, 0);
        var list = sample.Input[sample.Input.LastIndexOf("Below is a numbered list", StringComparison.Ordinal)..];
        var counts = Regex.Matches(list, @"\d+\. ([a-z]+)").GroupBy(m => m.Groups[1].Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(counts.Count > 20000, $"only {counts.Count} distinct words");
        Assert.All(sample.Outputs, w => Assert.Equal(30, counts[w]));
        Assert.All(counts.Where(c => !sample.Outputs.Contains(c.Key)), c => Assert.Equal(3, c.Value));
        // SCOWL's words are drawn in shuffled order, as WordNet's are, not its alphabetical first ones.
        var more = RulerFixtures.Generator.Resources.MoreWords;
        var used = more.Count(counts.ContainsKey);
        Assert.InRange(used, 1, more.Count - 1);
        Assert.False(more.Take(used).All(counts.ContainsKey), "SCOWL's first words, in its order");
    }

    [Theory]
    [InlineData("vt", 2048)]
    [InlineData("niah_single_1", 4096)]
    public void Generate_ByteTokenizerShortLength_EndsWithinOneHaystackUnit(string name, int length)
    {
        // A noise line is about 90 bytes: more than 2 % of these lengths, so one unit is allowed.
        var generator = new RulerGenerator(RulerResources.Create(SelfLong.Jobs.Models.ByteTokenizer.Instance));
        var task = RulerTask.Find(name);
        var sample = generator.Generate(task, length, 0);
        Assert.InRange(sample.Length + task.TokensToGenerate, length - RulerGenerator.UnitAllowance, length);
    }

    [Fact]
    public void Generate_QaWhoseDocumentsCannotFill_RefusedWithMessage()
    {
        // One question whose only document is longer than half the length: it cannot repeat to fill it.
        var document = string.Join(" ", Enumerable.Range(0, 400).Select(i => $"The tide rose on day {i}."));
        var json = $$"""
            {"data": [{"title": "t", "paragraphs": [{"context": "{{document}}", "qas": [
              {"question": "When did the tide rise?", "id": "q", "answers": [{"text": "day 3", "answer_start": 0}], "is_impossible": false}]}]}]}
            """;
        var generator = new RulerGenerator(RulerResources.Create(TiktokenTokenCounter.Default,
            squad: QaDataset.Parse(QaDatasetKind.Squad, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)))));

        var error = Assert.Throws<RulerLengthException>(() => generator.Generate(RulerTask.Find("qa_1"), 8192, 0));
        Assert.Contains("qa_1 at 8,192 tokens", error.Message);
        Assert.Contains("upload a larger QA data set", error.Message);
    }

    // Three generations per case: the lengths up to 8k keep it quick, and generation takes the same
    // path at every length (the budget cases above run each task at every default length).
    public static TheoryData<string, int> TasksAtShortLengths()
    {
        var data = new TheoryData<string, int>();
        foreach (var task in RulerTask.All)
            foreach (var length in RulerTask.DefaultLengths.Where(l => l <= 8192))
                data.Add(task.Name, length);
        return data;
    }

    [Theory]
    [MemberData(nameof(TasksAtShortLengths))]
    public void Generate_SameSeedAndIndex_SameSample(string name, int length)
    {
        var task = RulerTask.Find(name);
        var a = RulerFixtures.Generator.Generate(task, length, index: 11, seed: 5);
        var b = RulerFixtures.Generator.Generate(task, length, index: 11, seed: 5);
        var other = RulerFixtures.Generator.Generate(task, length, index: 12, seed: 5);
        Assert.Equal(a.Input, b.Input);
        Assert.Equal(a.Outputs, b.Outputs);
        Assert.Equal(a.AnswerPrefix, b.AnswerPrefix);
        Assert.NotEqual(a.Input, other.Input);
    }

    [Fact]
    public void Generate_NiahAt128k_FitsBudgetWithRealTokenizer()
    {
        var task = RulerTask.Find("niah_single_2");
        var sample = RulerFixtures.Generator.Generate(task, 131072, index: 0);
        var tokens = RulerFixtures.Count(sample.Input) + RulerFixtures.Count(sample.AnswerPrefix) + task.TokensToGenerate;
        Assert.InRange(tokens, 131072 * 0.98, 131072);
    }

    [Fact]
    public void Generate_NiahSingle_UsesSingularGrammarAndOneNeedle()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("niah_single_1"), 4096, 0);
        Assert.StartsWith("A special magic number is hidden within the following text.", sample.Input);
        Assert.Single(NumberNeedle().Matches(sample.Input));
        Assert.Matches(@"^ The special magic number for [a-z]+-[a-z]+ mentioned in the provided text is$", sample.AnswerPrefix);
        Assert.Matches(@"^\d{7}$", sample.Outputs[0]);
        Assert.Contains("The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.", sample.Input);
    }

    [Fact]
    public void Generate_NiahMultiquery_PlantsFourKeysAndAsksAllFour()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("niah_multiquery"), 8192, 2);
        var needles = NumberNeedle().Matches(sample.Input);
        Assert.Equal(4, needles.Count);
        Assert.Equal(4, sample.Outputs.Count);
        foreach (Match needle in needles) Assert.Contains(needle.Groups["key"].Value, sample.AnswerPrefix);
        Assert.Contains(", and ", sample.AnswerPrefix);
        Assert.StartsWith("Some special magic numbers are hidden", sample.Input);
    }

    [Fact]
    public void Generate_NiahMultikey1_PlantsFourKeysAsksOne()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("niah_multikey_1"), 8192, 4);
        var needles = NumberNeedle().Matches(sample.Input);
        Assert.Equal(4, needles.Count);
        var asked = needles.Single(n => sample.AnswerPrefix.Contains(n.Groups["key"].Value));
        Assert.Equal([asked.Groups["value"].Value], sample.Outputs);
    }

    [Fact]
    public void Generate_NiahMultivalue_OneKeyFourValues()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("niah_multivalue"), 8192, 1);
        var needles = NumberNeedle().Matches(sample.Input);
        Assert.Equal(4, needles.Count);
        Assert.Single(needles.Select(n => n.Groups["key"].Value).Distinct());
        Assert.Equal(needles.Select(n => n.Groups["value"].Value).Order(), sample.Outputs.Order());
    }

    [Fact]
    public void Generate_NiahEssay_InsertsNeedleBetweenSentences()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("niah_single_2"), 8192, 9);
        var needle = NumberNeedle().Match(sample.Input);
        var before = sample.Input[..needle.Index];
        Assert.Matches(@"(\n|[.!?][""'”’)]? )$", before);
        Assert.StartsWith(" ", sample.Input[(needle.Index + needle.Length)..]);
    }

    [Fact]
    public void Generate_NiahMultikey3_NeedleHaystackOfUuidDistractors()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("niah_multikey_3"), 4096, 0);
        var needles = UuidNeedle().Matches(sample.Input);
        Assert.True(needles.Count > 20, $"only {needles.Count} uuid needles");
        Assert.Single(needles, n => sample.AnswerPrefix.Contains(n.Groups["key"].Value));
        Assert.Matches(@"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", sample.Outputs[0]);
    }

    [Fact]
    public void Generate_VariableTracking_FollowsOneChainOfFourHops()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("vt"), 8192, 5);
        Assert.Equal(5, sample.Outputs.Count);
        var question = sample.Input[sample.Input.LastIndexOf("Memorize and track", StringComparison.Ordinal)..];
        var value = Regex.Match(sample.AnswerPrefix, @"the value (\d{5}),").Groups[1].Value;
        Assert.Contains($"VAR {sample.Outputs[0]} = {value}", question);
        for (var i = 1; i < 5; i++) Assert.Contains($"VAR {sample.Outputs[i]} = VAR {sample.Outputs[i - 1]}", question);
        Assert.All(sample.Outputs, v => Assert.Matches("^[A-Z]{5}$", v));
        Assert.Contains("5 variables are assigned the value", sample.AnswerPrefix);
        Assert.StartsWith(" Answer: According", sample.AnswerPrefix);
        Assert.EndsWith("they are: ", sample.AnswerPrefix);
        // The worked example in front, with its answer; its value is randomized as RULER's randomize_icl does.
        var example = Regex.Match(sample.Input, @"assigned the value (\d{5}), they are:  ([A-Z]{3}) ([A-Z]{3}) ([A-Z]{3}) ([A-Z]{3}) ([A-Z]{3})\n\nMemorize");
        Assert.True(example.Success, "no worked example with its answer");
        Assert.NotEqual("12345", example.Groups[1].Value);
        Assert.Contains($"VAR {example.Groups[2].Value} = {example.Groups[1].Value}", sample.Input);
        var other = RulerFixtures.Generator.Generate(RulerTask.Find("vt"), 8192, 6);
        Assert.DoesNotContain($"the value {example.Groups[1].Value}, they are:  ", other.Input);
        Assert.Equal(2, Regex.Matches(sample.Input, "Memorize and track").Count);
    }

    // common_words_extraction.py takes 6 and 1 while max_seq_length < 4096, 30 and 3 from 4096 on.
    [Theory]
    [InlineData(8192, 30, 3)]
    [InlineData(4096, 30, 3)]
    [InlineData(4095, 6, 1)]
    [InlineData(2048, 6, 1)]
    public void Generate_CommonWords_CommonThirtyOthersThree(int length, int common, int uncommon)
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("cwe"), length, 6);
        var list = sample.Input[sample.Input.LastIndexOf("Below is a numbered list", StringComparison.Ordinal)..];
        var counts = Regex.Matches(list, @"\d+\. ([a-z]+)").GroupBy(m => m.Groups[1].Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(10, sample.Outputs.Count);
        foreach (var word in sample.Outputs) Assert.Equal(common, counts[word]);
        Assert.All(counts.Where(c => !sample.Outputs.Contains(c.Key)), c => Assert.Equal(uncommon, c.Value));
        Assert.True(counts.Count > 20);
        // The worked example's answer follows RULER's prefix, leading space and all.
        Assert.Contains("in the above list? Answer: The top 10 words that appear most often in the list are: 1. ", sample.Input);
        Assert.Equal(" Answer: The top 10 words that appear most often in the list are:", sample.AnswerPrefix);
    }

    [Fact]
    public void Generate_FrequentWords_CountsFollowZipfAlphaTwo()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("fwe"), 8192, 2);
        var text = sample.Input[..sample.Input.IndexOf("\nQuestion:", StringComparison.Ordinal)];
        var words = text[(text.IndexOf("coded words. ", StringComparison.Ordinal) + "coded words. ".Length)..].Split(' ');
        var ranked = words.GroupBy(w => w).OrderByDescending(g => g.Count()).ToList();
        Assert.Equal("...", ranked[0].Key);
        Assert.Equal(ranked.Skip(1).Take(3).Select(g => g.Key), sample.Outputs);
        var observed = ranked.Select(g => g.Count()).ToList();
        // Some sample size n gives exactly these counts: floor(n k^-2 / zeta(2)) for rank k.
        Assert.Contains(Enumerable.Range(words.Length / 2, words.Length * 2), n =>
            Enumerable.Range(1, observed.Count + 1).Select(k => FrequentWordsCount(n, k)).SequenceEqual(observed.Append(0)));
        Assert.All(words.Where(w => w != "..."), w => Assert.Matches("^[a-z]{6}$", w));
        Assert.True(ranked.Count <= 8192 / 50);
    }

    [Fact]
    public void Generate_Qa1_MixesGoldWithDistractorsAndAsksQuestion()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("qa_1"), 4096, 1);
        Assert.EndsWith("Question: What was the keeper called?", sample.Input);
        Assert.Equal(["Amos"], sample.Outputs);
        Assert.Contains("A lighthouse stood at the end of the pier.", sample.Input);
        Assert.Contains("Document 2:\n", sample.Input);
        Assert.DoesNotContain("Who owned the moon?", sample.Input);
        Assert.Equal(" Answer:", sample.AnswerPrefix);
    }

    [Fact]
    public void Generate_Qa2_IncludesBothHotpotParagraphs()
    {
        var sample = RulerFixtures.Generator.Generate(RulerTask.Find("qa_2"), 4096, 4);
        Assert.Contains("Captain 4\nCaptain 4 commanded the Vessel4. He sailed often.", sample.Input);
        Assert.Contains("Harbour 4\nHarbour 4 was quiet.", sample.Input);
        Assert.Equal(["Vessel4"], sample.Outputs);
    }

    private static int FrequentWordsCount(int n, int k) => (int)(n * Math.Pow(k, -2.0) / (Math.PI * Math.PI / 6));

    [GeneratedRegex(@"One of the special magic numbers? for (?<key>[a-z]+-[a-z]+) is: (?<value>\d{7})\.")]
    private static partial Regex NumberNeedle();

    [GeneratedRegex(@"One of the special magic uuids? for (?<key>[0-9a-f-]{36}) is: (?<value>[0-9a-f-]{36})\.")]
    private static partial Regex UuidNeedle();
}
