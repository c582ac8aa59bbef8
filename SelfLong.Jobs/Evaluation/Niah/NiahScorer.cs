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

    public static string JudgePrompt(string question, string answer, string response) =>
        "You are grading an answer to a question about a long text.\n" +
        $"Question: {question}\nReference answer: {answer}\nAnswer to grade: {response}\n\n" +
        "Score the answer from 1 to 10: 1 if it is unrelated to the reference, 3 if it is slightly related, " +
        "5 if it is partly right, 7 if it is mostly right, 10 if it matches the reference. Reply with the number only.";

    /// <summary>The judge's score 1-10 as 0.1..1; an answer without a number in range is an error, not a zero.</summary>
    public static double ParseJudge(string judged)
    {
        var match = Number().Match(judged);
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
}
