using SelfLong.Jobs.Evaluation.Niah;

namespace SelfLong.Jobs.Training.Drills;

/// <summary>
/// The demo's needle: a pass key a tiny byte-level model can learn to retrieve (ARCHITECTURE.md,
/// "tiny CPU demo"). The key is five distinct digits behind a '#', a character the sample prose
/// never contains: with plain bytes the cue before an answer is ambiguous (spaces are everywhere),
/// while a unique marker makes retrieval a plain copy of what followed the marker, and distinct
/// digits make every next digit unambiguous. Evaluated as an ordinary NIAH grid in Fu et al.'s frame.
/// </summary>
public static class PassKeyNeedle
{
    public const char Marker = '#';
    public const string Question = "What is the pass key?";

    /// <summary>The key planted by the demo's NIAH grid; training drills draw theirs at random.</summary>
    public const string EvaluationKey = "71829";

    public static string Needle(string key) => $"The pass key is {Marker}{key}.";

    /// <summary>What the model learns to answer after the NIAH answer prefix.</summary>
    public static string Response(string key) => $"{NiahPrompt.AnswerPrefix} {Marker}{key}";

    /// <summary>NIAH settings that plant <see cref="EvaluationKey"/>; recall of the key is 1 or 0.</summary>
    public static NiahSettings Settings(IReadOnlyList<int> lengths, IReadOnlyList<int> depths) => new()
    {
        Lengths = lengths,
        Depths = depths,
        Needle = Needle(EvaluationKey),
        Question = Question,
        Answer = EvaluationKey,
        // " #71829" and an end marker.
        MaxNewTokens = 8,
    };

    /// <summary>Five distinct digits, the first not zero.</summary>
    public static string RandomKey(Random random)
    {
        var digits = Enumerable.Range(0, 10).ToArray();
        do random.Shuffle(digits);
        while (digits[0] == 0);
        return string.Concat(digits.Take(5));
    }
}
