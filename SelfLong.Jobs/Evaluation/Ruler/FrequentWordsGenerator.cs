namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>
/// RULER's frequent words extraction (scripts/data/synthetic/freq_words_extraction.py): random
/// 6-letter coded words whose counts follow a Zipf law with alpha 2; the most frequent is replaced
/// by "..." as noise, and the answer is the words ranked 2 to 4.
/// </summary>
internal sealed class FrequentWordsGenerator(RulerResources resources)
{
    public const string Template =
        "Read the following coded text and track the frequency of each coded word. Find the three most frequently appeared coded words. " +
        "{context}\nQuestion: Do not provide any explanation. Please ignore the dots '....'. What are the three most frequently appeared words in the above coded text?";

    public const string AnswerPrefix = " Answer: According to the coded text above, the three most frequently appeared words are:";

    public const double Alpha = 2.0;

    public const int WordLength = 6;

    /// <summary>Riemann zeta(2) = pi^2 / 6, the normaliser of a Zipf law with alpha 2.</summary>
    public static readonly double Zeta = Math.PI * Math.PI / 6;

    public static int VocabularySize(int length) => Math.Max(4, length / 50);

    /// <summary>How often the word of rank k (1-based) appears among n sampled words: floor(n k^-alpha / zeta(alpha)).</summary>
    public static int Count(int words, int rank) => (int)(words * Math.Pow(rank, -Alpha) / Zeta);

    public RulerSample Generate(RulerTask task, int length, int budget, int index, Random random)
    {
        var size = VocabularySize(length);
        var set = new HashSet<string>();
        while (set.Count < size) set.Add(SampleRandom.Letters(random, WordLength, upper: false));
        var vocabulary = set.Order(StringComparer.Ordinal).ToArray();
        SampleRandom.Shuffle(random, vocabulary);
        vocabulary[0] = "...";
        var shuffleSeed = random.Next();

        Func<int, string> build = n => Template.Replace("{context}", string.Join(" ", Words(vocabulary, n, new Random(shuffleSeed))));
        var costs = new Dictionary<int, int>();
        int Cost(int rank) => costs.TryGetValue(rank, out var c) ? c : costs[rank] = resources.Tokenizer.CountTokens(" " + vocabulary[rank - 1]);
        long Estimate(int n)
        {
            long total = 0;
            for (var k = 1; k <= vocabulary.Length; k++)
            {
                var count = Count(n, k);
                if (count == 0) break;
                total += (long)count * Cost(k);
            }
            return total;
        }

        var room = budget - resources.Tokenizer.CountTokens(AnswerPrefix);
        var overhead = resources.Tokenizer.CountTokens(build(0));
        var units = TokenFit.Largest(Math.Max(0, room) * 2, room - overhead, Estimate);
        var (input, tokens, _) = TokenFit.Exact(units, room, 1.5, build, resources.Tokenizer, task.Name, length);
        return new RulerSample(index, input, vocabulary[1..4], tokens + resources.Tokenizer.CountTokens(AnswerPrefix), AnswerPrefix);
    }

    private static List<string> Words(IReadOnlyList<string> vocabulary, int n, Random shuffle)
    {
        var words = new List<string>();
        for (var k = 1; k <= vocabulary.Count; k++)
        {
            var count = Count(n, k);
            if (count == 0) break;
            for (var i = 0; i < count; i++) words.Add(vocabulary[k - 1]);
        }
        SampleRandom.Shuffle(shuffle, words);
        return words;
    }
}
