using System.Text.RegularExpressions;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// The built-in extractive generator (ARCHITECTURE.md, "Built-in, no model needed"): instructions
/// from templates filled with the seed chunk's key phrases, query-focused summaries made of the
/// sentences most relevant to the instruction, and answers extracted the same way. It makes the
/// pipeline run anywhere; everything it makes is labelled as extractive.
/// </summary>
public sealed partial class ExtractiveSynthesisModel(ITokenCounter tokens, int contextWindow) : ISynthesisModel
{
    public const string GeneratorLabel = "extractive (built-in, no model)";

    public string Label => GeneratorLabel;
    public bool IsExtractive => true;
    public int ContextWindow => contextWindow;
    public ITokenCounter Tokens => tokens;

    public Task<string> WriteInstructionAsync(string seedChunk, string instructionType, CancellationToken ct)
    {
        var phrases = KeyPhrases(seedChunk, 3);
        var (a, b, c) = (At(phrases, 0), At(phrases, 1), At(phrases, 2));
        var instruction = instructionType switch
        {
            "summarization" => $"Summarize what the documents say about {a}, {b} and {c}.",
            "comparison" => $"Compare how different documents describe {a} and {b}, and point out where they agree and differ.",
            "multi-document reasoning" => $"Using evidence from several documents, explain how {a} relates to {b}.",
            "question answering" => $"What do the documents say about {a} and {b}?",
            _ => $"Write a {instructionType} about {a} and {b}, drawing on several documents.",
        };
        return Task.FromResult(instruction);
    }

    public Task<string> SummarizeAsync(string instruction, string text, int maxTokens, CancellationToken ct) =>
        Task.FromResult(SelectSentences(instruction, text, maxTokens));

    public Task<string> RespondAsync(string instruction, IReadOnlyList<string> summaries, int maxTokens, CancellationToken ct) =>
        Task.FromResult(SelectSentences(instruction, string.Join("\n", summaries), maxTokens));

    public Task<string> BackTranslateAsync(string document, CancellationToken ct)
    {
        var phrases = KeyPhrases(document, 3);
        return Task.FromResult($"Write a text about {At(phrases, 0)}, {At(phrases, 1)} and {At(phrases, 2)}.");
    }

    /// <summary>
    /// The sentences that share the most instruction terms (per square root of their length, so
    /// long sentences do not win by size), in their original order, within the token budget.
    /// </summary>
    public string SelectSentences(string query, string text, int maxTokens)
    {
        var queryTerms = Terms(query).ToHashSet();
        var sentences = SentenceBreak().Split(text).Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
        var ranked = sentences
            .Select((sentence, position) =>
            {
                var terms = Terms(sentence).ToList();
                var overlap = terms.Count(queryTerms.Contains);
                return (sentence, position, score: terms.Count == 0 ? 0 : overlap / Math.Sqrt(terms.Count));
            })
            .OrderByDescending(s => s.score).ThenBy(s => s.position)
            .ToList();
        var chosen = new List<(string sentence, int position)>();
        var used = 0;
        foreach (var (sentence, position, _) in ranked)
        {
            var count = tokens.CountTokens(sentence) + 1;
            if (used + count > maxTokens) continue;
            chosen.Add((sentence, position));
            used += count;
        }
        if (chosen.Count == 0 && ranked.Count > 0) return tokens.Truncate(ranked[0].sentence, maxTokens);
        return string.Join(" ", chosen.OrderBy(c => c.position).Select(c => c.sentence));
    }

    /// <summary>The most frequent content words, ties broken by first appearance.</summary>
    public static IReadOnlyList<string> KeyPhrases(string text, int count) =>
        Terms(text).Select((term, position) => (term, position))
            .GroupBy(t => t.term)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.First().position)
            .Take(count).Select(g => g.Key).ToList();

    private static string At(IReadOnlyList<string> phrases, int i) =>
        phrases.Count == 0 ? "the topic" : phrases[Math.Min(i, phrases.Count - 1)];

    private static IEnumerable<string> Terms(string text) =>
        Word().Matches(text).Select(m => m.Value.ToLowerInvariant()).Where(w => !StopWords.Contains(w));

    [GeneratedRegex(@"(?<=[.!?])\s+|\n+")]
    private static partial Regex SentenceBreak();

    [GeneratedRegex(@"\p{L}[\p{L}'\-]{3,}")]
    private static partial Regex Word();

    private static readonly HashSet<string> StopWords =
    [
        "about", "above", "after", "again", "against", "also", "among", "because", "been", "before", "being", "below",
        "between", "both", "could", "does", "doing", "down", "during", "each", "every", "from", "further", "have",
        "having", "here", "into", "itself", "just", "like", "made", "make", "many", "more", "most", "much", "must",
        "only", "other", "over", "same", "shall", "should", "some", "such", "than", "that", "their", "them",
        "themselves", "then", "there", "these", "they", "this", "those", "through", "under", "until", "upon", "very",
        "were", "what", "when", "where", "which", "while", "whom", "will", "with", "within", "without", "would",
        "your", "yours", "ours", "it's", "let's", "that's", "there's", "what's", "said", "says", "even", "ever",
        "know", "well", "come", "came", "take", "took", "time", "thus", "though", "whose", "once", "since",
    ];
}
