namespace SelfLong.Jobs.Evaluation.Niah;

public enum NiahScoring
{
    /// <summary>Fu et al. 2024: the fraction of the answer's words found in the response.</summary>
    Recall,
    /// <summary>Kamradt's original: an LLM judge scores 1-10 with his rubric (stored divided by 10).</summary>
    Judge,
    /// <summary>Fu et al.'s published script exactly: lower-cased whitespace-split words, so "day." does not match "day".</summary>
    FuScript,
}

/// <summary>A needle-in-a-haystack grid and how it is scored; stored as the run's settings.</summary>
public sealed record NiahSettings
{
    public const string FuNeedle = "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day.";
    public const string FuQuestion = "What is the best thing to do in San Francisco?";
    public const string FuAnswer = "eat a sandwich and sit in Dolores Park on a sunny day";

    public IReadOnlyList<int> Lengths { get; init; } = [];
    public IReadOnlyList<int> Depths { get; init; } = DefaultDepths;
    public string Needle { get; init; } = FuNeedle;
    public string Question { get; init; } = FuQuestion;
    /// <summary>The words recall is measured against.</summary>
    public string Answer { get; init; } = FuAnswer;
    public NiahScoring Scoring { get; init; } = NiahScoring.Recall;
    public int MaxNewTokens { get; init; } = 50;
    public string Haystack { get; init; } = EvaluationText.BundledProseName;
    /// <summary>A corpus whose prose is the haystack; null for the bundled prose.</summary>
    public long? HaystackCorpusId { get; init; }
    /// <summary>The judge's row of the endpoints table when <see cref="Scoring"/> is Judge.</summary>
    public long? JudgeEndpointId { get; init; }
    /// <summary>
    /// The judge by address, as entered (its key protected beside it); the run finds or adds its
    /// endpoint row from these at creation and keeps them to show what judged.
    /// </summary>
    public string? JudgeBaseUrl { get; init; }
    public string? JudgeModel { get; init; }
    public string? ProtectedJudgeApiKey { get; init; }

    /// <summary>Fu et al.'s 10 depths: 0, 11, 22, ... 100%.</summary>
    public static readonly IReadOnlyList<int> DefaultDepths =
        Enumerable.Range(0, 10).Select(i => (int)Math.Round(i * 100.0 / 9, MidpointRounding.ToEven)).ToList();

    /// <summary>Context lengths evenly spaced from 1k up to the maximum.</summary>
    public static IReadOnlyList<int> EvenLengths(int max, int count = 10, int min = 1000)
    {
        if (count <= 1 || max <= min) return [max];
        return Enumerable.Range(0, count).Select(i => (int)Math.Round(min + (max - min) * i / (double)(count - 1))).Distinct().ToList();
    }

    /// <summary>Which convention this grid follows, for labels.</summary>
    public string Convention => Scoring switch
    {
        NiahScoring.Recall => "Fu et al. 2024 (recall of the answer's words)",
        NiahScoring.FuScript => "Fu et al. script (recall over whitespace-split words)",
        _ => "Kamradt (LLM judge with his 1-10 rubric)",
    };
}
