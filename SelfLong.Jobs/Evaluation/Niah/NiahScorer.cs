using System.Text.RegularExpressions;

namespace SelfLong.Jobs.Evaluation.Niah;

/// <summary>NIAH scoring: Fu et al.'s recall, and the prompt and parsing for an LLM judge.</summary>
public static partial class NiahScorer
{
    /// <summary>
    /// The fraction of the answer's distinct words (11 for "eat a sandwich and sit in Dolores Park on a
    /// sunny day") that occur among the response's words, case-insensitively; 0..1.
    /// </summary>
    public static double Recall(string response, string answer)
    {
        var expected = Words(answer).Distinct().ToList();
        if (expected.Count == 0) return 0;
        var found = Words(response).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return expected.Count(found.Contains) / (double)expected.Count;
    }

    /// <summary>
    /// Fu et al.'s script as published: set(response.lower().split()) against set(answer.lower().split()),
    /// an empty response scoring 0. Punctuation stays attached, so it can score lower than <see cref="Recall"/>.
    /// </summary>
    public static double ScriptRecall(string response, string answer)
    {
        var expected = answer.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        if (response.Trim().Length == 0 || expected.Count == 0) return 0;
        var words = response.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return expected.Count(words.Contains) / (double)expected.Count;
    }

    /// <summary>Kamradt's judge system message (LangChain's labeled_score_string, which his evaluator uses).</summary>
    public const string JudgeSystem = "You are a helpful assistant.";

    /// <summary>Kamradt's accuracy rubric (LLMNeedleHaystackTester, evaluators/openai.py), word for word.</summary>
    public const string KamradtCriteria = """
        Score 1: The answer is completely unrelated to the reference.
        Score 3: The answer has minor relevance but does not align with the reference.
        Score 5: The answer has moderate relevance but contains inaccuracies.
        Score 7: The answer aligns with the reference but has minor omissions.
        Score 10: The answer is completely accurate and aligns perfectly with the reference.
        Only respond with a numberical score
        """;

    /// <summary>The human turn of LangChain's SCORING_TEMPLATE_WITH_REFERENCE with Kamradt's criteria filled in.</summary>
    public static string JudgePrompt(string question, string answer, string response) =>
        "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by an AI assistant " +
        "to the user question displayed below. For this evaluation, you should primarily consider the following criteria:\n" +
        $"accuracy: {KamradtCriteria}\n[Ground truth]\n{answer}\nBegin your evaluation by providing a short explanation. " +
        "Be as objective as possible. After providing your explanation, you must rate the response on a scale of 1 to 10 " +
        "by strictly following this format: \"[[rating]]\", for example: \"Rating: [[5]]\".\n\n" +
        $"[Question]\n{question}\n\n[The Start of Assistant's Answer]\n{response}\n[The End of Assistant's Answer]";

    /// <summary>Room for the explanation the template asks for before the rating.</summary>
    public const int JudgeTokens = 512;

    /// <summary>
    /// The judge's score 1-10 as 0.1..1: the "[[n]]" LangChain parses, or a bare number (the rubric's last
    /// line asks for one); an answer without a score in range is an error, not a zero.
    /// </summary>
    public static double ParseJudge(string judged)
    {
        var bracketed = Bracketed().Match(judged);
        var match = bracketed.Success ? bracketed.Groups[1] : Number().Match(judged);
        if (!match.Success || !int.TryParse(match.Value, out var score) || score is < 1 or > 10)
            throw new InvalidDataException($"The judge did not answer with a score from 1 to 10: \"{judged[..Math.Min(judged.Length, 80)]}\".");
        return score / 10.0;
    }

    private static List<string> Words(string text) =>
        WordPattern().Matches(text).Select(m => m.Value.ToLowerInvariant()).ToList();

    [GeneratedRegex(@"[\p{L}\p{N}']+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\b\d{1,2}\b")]
    private static partial Regex Number();

    [GeneratedRegex(@"\[\[(\d{1,2})\]\]")]
    private static partial Regex Bracketed();
}
