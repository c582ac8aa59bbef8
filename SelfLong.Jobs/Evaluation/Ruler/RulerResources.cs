using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>
/// What generation reads, prepared once and then only read: the tokenizer, the essay haystack as
/// sentences with each sentence's token count (so a haystack's size is found by binary search on
/// prefix sums instead of re-tokenizing it per sample), the word list, and the optional QA data sets.
/// </summary>
public sealed class RulerResources
{
    private readonly long[] essayPrefix;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> wordCosts = new();
    private readonly List<long> numberPrefix = [0];
    private readonly List<int> documentLabels = [0];
    private readonly Lazy<double> noiseLineCost;

    private RulerResources(ITokenCounter tokenizer, IReadOnlyList<string> essay, string essayName, QaDataset? squad, QaDataset? hotpotQa)
    {
        if (essay.Count == 0) throw new ArgumentException("The essay haystack has no sentences.", nameof(essay));
        Tokenizer = tokenizer;
        EssaySentences = essay;
        EssayName = essayName;
        Squad = squad;
        HotpotQa = hotpotQa;
        // Sentences are joined with one space, so each costs the tokens of " sentence".
        essayPrefix = new long[essay.Count + 1];
        var costs = new int[essay.Count];
        // One worker per core: a counter may block on a server's /tokenize route, and more blocked
        // workers than cores would starve the thread pool that the answers come back on.
        Parallel.For(0, essay.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => costs[i] = tokenizer.CountTokens(" " + essay[i]));
        for (var i = 0; i < essay.Count; i++) essayPrefix[i + 1] = essayPrefix[i] + costs[i];
        noiseLineCost = new(() => (tokenizer.CountTokens(string.Join("\n", Enumerable.Repeat(NiahGenerator.Noise, 101)))
            - tokenizer.CountTokens(NiahGenerator.Noise)) / 100.0);
        Words = EvaluationText.Adjectives.Concat(EvaluationText.Nouns).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    public ITokenCounter Tokenizer { get; }
    public IReadOnlyList<string> EssaySentences { get; }
    public string EssayName { get; }
    public QaDataset? Squad { get; }
    public QaDataset? HotpotQa { get; }

    /// <summary>English words for the common-words task (WordNet adjectives and nouns).</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>More English words (SCOWL's large list, none of them in <see cref="Words"/>), for cwe samples past what WordNet reaches.</summary>
    public IReadOnlyList<string> MoreWords => EvaluationText.MoreWords;

    public static RulerResources Create(ITokenCounter tokenizer, IReadOnlyList<string>? essaySentences = null,
        string? essayName = null, QaDataset? squad = null, QaDataset? hotpotQa = null) =>
        new(tokenizer, essaySentences ?? EvaluationText.BundledSentences,
            essaySentences is null ? EvaluationText.BundledProseName : essayName ?? "corpus", squad, hotpotQa);

    public QaDataset? Dataset(QaDatasetKind kind) => kind == QaDatasetKind.Squad ? Squad : HotpotQa;

    /// <summary>The essay sentence at position i of an endless haystack (the prose repeats, as RULER repeats its essays).</summary>
    public string EssaySentence(int i) => EssaySentences[i % EssaySentences.Count];

    /// <summary>Tokens of the first n haystack sentences joined with spaces.</summary>
    public long EssayTokens(long n)
    {
        var count = EssaySentences.Count;
        return n / count * essayPrefix[count] + essayPrefix[n % count];
    }

    /// <summary>Tokens of " word", cached: the common-words task sums them to size its list.</summary>
    public int WordCost(string word) => wordCosts.GetOrAdd(word, w => Tokenizer.CountTokens(" " + w));

    /// <summary>Tokens of the numbering " 1." ... " n." of a numbered list, summed; cached and grown on demand.</summary>
    public long NumberCosts(int entries)
    {
        lock (numberPrefix)
        {
            for (var i = numberPrefix.Count; i <= entries; i++)
                numberPrefix.Add(numberPrefix[i - 1] + Tokenizer.CountTokens($" {i}."));
            return numberPrefix[entries];
        }
    }

    /// <summary>
    /// Tokens of the QA prompt's label "Document i:" (i from 1), cached and grown on demand: labels
    /// past 999 take more tokens, which over a million-token prompt of short documents adds up.
    /// </summary>
    public int DocumentLabelCost(int i)
    {
        lock (documentLabels)
        {
            for (var j = documentLabels.Count; j <= i; j++) documentLabels.Add(Tokenizer.CountTokens($"Document {j}:"));
            return documentLabels[i];
        }
    }

    /// <summary>
    /// Tokens one more line of RULER's noise adds; measured on 100 joined lines, because a tokenizer
    /// may merge the line break with the full stop before it.
    /// </summary>
    public double NoiseLineCost => noiseLineCost.Value;

    public double EssayTokensPerSentence => essayPrefix[^1] / (double)EssaySentences.Count;
}
