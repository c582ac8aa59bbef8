using System.Text;
using SelfLong.Jobs.Evaluation.Ruler;

namespace SelfLong.Jobs.Evaluation.Niah;

/// <summary>One cell's prompt: the haystack cut to the context length with the needle at a sentence boundary near the depth.</summary>
public sealed record NiahPromptText(string Prompt, string AnswerPrefix, int Tokens);

/// <summary>
/// Builds NIAH prompts in Fu et al.'s format ("This is a very long story book: &lt;book&gt; ... &lt;/book&gt;.
/// Based on the content of the book, Question: ..."), sizing the prose with the target's tokenizer.
/// </summary>
public sealed class NiahPrompt(RulerResources haystack)
{
    public const string Frame = "This is a very long story book: <book> {context} </book>.\nBased on the content of the book, Question: {question}";
    public const string AnswerPrefix = "Answer:";

    /// <param name="contextLength">Prompt tokens plus new tokens stay within this.</param>
    /// <param name="reservedTokens">Tokens the target's chat template adds.</param>
    public NiahPromptText Build(int contextLength, int depthPercent, NiahSettings settings, int reservedTokens = 0)
    {
        Func<string, int> countTokens = haystack.Tokenizer.CountTokens;
        var frame = Frame.Replace("{question}", settings.Question);
        var budget = contextLength - settings.MaxNewTokens - countTokens(AnswerPrefix) - reservedTokens;
        string BuildWith(int sentences) => frame.Replace("{context}", Context(sentences, depthPercent, settings.Needle));
        var overhead = countTokens(BuildWith(0));
        if (overhead > budget)
            throw new ArgumentException($"Context length {contextLength} is too short for the needle and question ({overhead} tokens).");
        var hi = 1;
        while (haystack.EssayTokens(hi) <= budget - overhead) hi *= 2;
        var lo = 0;
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            if (haystack.EssayTokens(mid) <= budget - overhead) lo = mid;
            else hi = mid - 1;
        }
        var n = lo;
        while (true)
        {
            var prompt = BuildWith(n);
            var tokens = countTokens(prompt);
            if (tokens <= budget || n == 0) return new NiahPromptText(prompt, AnswerPrefix, tokens + countTokens(AnswerPrefix));
            n = Math.Max(0, n - Math.Max(1, (int)Math.Ceiling((tokens - budget) / haystack.EssayTokensPerSentence)));
        }
    }

    /// <summary>n prose sentences with the needle between sentences at round(n * depth / 100).</summary>
    private string Context(int sentences, int depthPercent, string needle)
    {
        var at = (int)Math.Round(sentences * depthPercent / 100.0);
        var text = new StringBuilder();
        for (var i = 0; i <= sentences; i++)
        {
            if (i == at) text.Append(text.Length > 0 ? " " : "").Append(needle);
            if (i < sentences) text.Append(text.Length > 0 ? " " : "").Append(haystack.EssaySentence(i));
        }
        return text.ToString();
    }
}
