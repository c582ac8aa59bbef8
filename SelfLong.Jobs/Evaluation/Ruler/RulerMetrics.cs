using System.Text.RegularExpressions;

namespace SelfLong.Jobs.Evaluation.Ruler;

public enum RulerMetric { StringMatchAll, StringMatchPart }

/// <summary>RULER's metrics (eval/synthetic/constants.py), per sample on a 0..1 scale; task scores are means x100.</summary>
public static partial class RulerMetrics
{
    /// <summary>Fraction of references found, case-insensitively, in the prediction.</summary>
    public static double StringMatchAll(string prediction, IReadOnlyList<string> references)
    {
        if (references.Count == 0) return 0;
        var text = Normalize(prediction);
        return references.Count(r => text.Contains(r, StringComparison.OrdinalIgnoreCase)) / (double)references.Count;
    }

    /// <summary>1 when any reference occurs, case-insensitively, in the prediction.</summary>
    public static double StringMatchPart(string prediction, IReadOnlyList<string> references)
    {
        var text = Normalize(prediction);
        return references.Any(r => text.Contains(r, StringComparison.OrdinalIgnoreCase)) ? 1 : 0;
    }

    public static double Score(RulerMetric metric, string prediction, IReadOnlyList<string> references) => metric switch
    {
        RulerMetric.StringMatchPart => StringMatchPart(prediction, references),
        _ => StringMatchAll(prediction, references),
    };

    /// <summary>Mean of per-sample scores x100, as RULER reports a task at one length.</summary>
    public static double TaskScore(IEnumerable<double> sampleScores)
    {
        var scores = sampleScores.ToList();
        return scores.Count == 0 ? 0 : scores.Average() * 100;
    }

    /// <summary>RULER's postprocess_pred: control characters become newlines, then trim.</summary>
    public static string Normalize(string prediction) => ControlCharacters().Replace(prediction, "\n").Trim();

    public static string Name(RulerMetric metric) => metric == RulerMetric.StringMatchPart ? "string_match_part" : "string_match_all";

    [GeneratedRegex(@"[\x00-\x1f]")]
    private static partial Regex ControlCharacters();
}
