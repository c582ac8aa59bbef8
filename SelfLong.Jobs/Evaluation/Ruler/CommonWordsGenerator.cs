namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>
/// RULER's common words extraction (scripts/data/synthetic/common_words_extraction.py): a numbered
/// word list where 10 words appear 30 times and the others 3 times (below 4k: 6 and 1), after one
/// small worked example; the answer is the 10 common words.
/// </summary>
internal sealed class CommonWordsGenerator(RulerResources resources)
{
    public const string Template =
        "Below is a numbered list of words. In these words, some appear more often than others. " +
        "Memorize the ones that appear most often.\n{context}\nQuestion: What are the 10 most common words in the above list?";

    public const string AnswerPrefix = " Answer: The top 10 words that appear most often in the list are:";

    public const int CommonWords = 10;

    public static (int Common, int Uncommon) Frequencies(int length) => length < 4096 ? (6, 1) : (30, 3);

    public RulerSample Generate(RulerTask task, int length, int budget, int index, Random random)
    {
        var words = resources.Words.ToArray();
        SampleRandom.Shuffle(random, words);
        var (common, uncommon) = Frequencies(length);
        var (exampleWords, exampleCommon, exampleUncommon) = length < 4096 ? (20, 3, 1) : (40, 10, 3);
        var exampleList = words[^exampleWords..];
        var example = Template.Replace("{context}", Numbered(List(exampleList, exampleCommon, exampleUncommon, new Random(random.Next())))) +
            AnswerPrefix + " " + string.Join(" ", exampleList.Take(CommonWords).Select((w, i) => $"{i + 1}. {w}"));
        var shuffleSeed = random.Next();
        var prefixTokens = resources.Tokenizer.CountTokens(AnswerPrefix);
        var room = budget - prefixTokens;
        // The example takes its words from the end of the permutation, the question from the start.
        var pool = words[..^exampleWords];
        var fit = Fit(example, pool, common, uncommon, shuffleSeed, room);
        if (fit.Units == pool.Length - CommonWords)
        {
            // WordNet ran out (about 190k tokens) with room left: continue with SCOWL's larger list, as
            // RULER moves to its large English list when its first one is too short.
            var more = resources.MoreWords.ToArray();
            SampleRandom.Shuffle(random, more);
            pool = [.. pool, .. more];
            fit = Fit(example, pool, common, uncommon, shuffleSeed, room);
        }
        var (input, tokens, _) = TokenFit.Exact(fit.Units, room, fit.PerWord, fit.Build, resources.Tokenizer, task.Name, length);
        return new RulerSample(index, input, words[..CommonWords], tokens + prefixTokens, AnswerPrefix);
    }

    /// <summary>The most uncommon words from the pool whose list fits the room (by the summed estimate), and how to build it.</summary>
    private (int Units, double PerWord, Func<int, string> Build) Fit(string example, string[] pool, int common, int uncommon, int shuffleSeed, int room)
    {
        Func<int, string> build = n =>
            example + "\n" + Template.Replace("{context}", Numbered(List(pool[..(CommonWords + n)], common, uncommon, new Random(shuffleSeed))));
        var wordCost = pool.Select(w => resources.WordCost(w)).ToArray();
        var uncommonPrefix = new long[pool.Length - CommonWords + 1];
        for (var i = 0; i < uncommonPrefix.Length - 1; i++) uncommonPrefix[i + 1] = uncommonPrefix[i] + wordCost[CommonWords + i];
        var commonCost = wordCost.Take(CommonWords).Sum();
        var baseEntries = CommonWords * common;
        var overhead = resources.Tokenizer.CountTokens(build(0)) - resources.NumberCosts(baseEntries) - commonCost * common;
        long Estimate(int n) =>
            overhead + resources.NumberCosts(baseEntries + n * uncommon) + commonCost * common + uncommonPrefix[n] * uncommon;
        var units = TokenFit.Largest(pool.Length - CommonWords, room, Estimate);
        var perWord = uncommon * (uncommonPrefix[^1] / (double)Math.Max(1, uncommonPrefix.Length - 1) + 3);
        return (units, perWord, build);
    }

    private static List<string> List(IReadOnlyList<string> words, int common, int uncommon, Random shuffle)
    {
        var list = new List<string>();
        for (var i = 0; i < words.Count; i++)
            for (var r = 0; r < (i < CommonWords ? common : uncommon); r++) list.Add(words[i]);
        SampleRandom.Shuffle(shuffle, list);
        return list;
    }

    /// <summary>"1. word1 2. word2 ..." as RULER formats the list.</summary>
    private static string Numbered(IReadOnlyList<string> list) => string.Join(" ", list.Select((w, i) => $"{i + 1}. {w}"));
}
