using System.Text.RegularExpressions;
using SelfLong.Data.Evaluation;

namespace SelfLong.Jobs.Evaluation.LengthFollowing;

/// <summary>One required length's outputs: how many, their mean length and mean absolute relative error.</summary>
public sealed record LengthFollowingPoint(int RequiredWords, int Outputs, double MeanWords, double MeanAbsoluteRelativeError);

/// <summary>
/// A run's outputs summarized: the mean absolute relative error |actual - required| / required over
/// every output, the same per required length, and a line fitted to log(actual) against log(required):
/// actual ≈ <see cref="FitScale"/> x required ^ <see cref="FitExponent"/> (exponent 1 and scale 1 is the ideal diagonal).
/// </summary>
public sealed record LengthFollowingSummary(
    IReadOnlyList<LengthFollowingPoint> Points, int Outputs, double? MeanAbsoluteRelativeError, double? FitScale, double? FitExponent)
{
    /// <summary>The fitted length at <paramref name="requiredWords"/>, or null without a fit.</summary>
    public double? Fitted(double requiredWords) => FitScale is { } scale && FitExponent is { } exponent ? scale * Math.Pow(requiredWords, exponent) : null;
}

public static partial class LengthFollowingMetrics
{
    /// <summary>
    /// Words as a reader counts them: runs of letters or digits, with inner apostrophes and hyphens
    /// ("don't", "well-known") counting once. Markdown marks and punctuation count nothing.
    /// </summary>
    public static int CountWords(string text) => Word().Count(text);

    public static double RelativeError(int outputWords, int requiredWords) => Math.Abs(outputWords - requiredWords) / (double)requiredWords;

    public static LengthFollowingSummary Summarize(IReadOnlyList<LengthFollowingOutput> outputs)
    {
        var points = outputs.GroupBy(o => o.RequiredWords).OrderBy(g => g.Key)
            .Select(g => new LengthFollowingPoint(g.Key, g.Count(), g.Average(o => (double)o.OutputWords), g.Average(o => RelativeError(o.OutputWords, o.RequiredWords))))
            .ToList();
        double? mare = outputs.Count == 0 ? null : outputs.Average(o => RelativeError(o.OutputWords, o.RequiredWords));
        var (scale, exponent) = Fit(outputs);
        return new LengthFollowingSummary(points, outputs.Count, mare, scale, exponent);
    }

    /// <summary>
    /// Least squares on log-log axes, where the required lengths (doubling) spread evenly. An empty
    /// output counts as one word, so it pulls the line down instead of being left out. Needs two
    /// distinct required lengths.
    /// </summary>
    private static (double? Scale, double? Exponent) Fit(IReadOnlyList<LengthFollowingOutput> outputs)
    {
        if (outputs.Select(o => o.RequiredWords).Distinct().Count() < 2) return (null, null);
        var xs = outputs.Select(o => Math.Log(o.RequiredWords)).ToList();
        var ys = outputs.Select(o => Math.Log(Math.Max(1, o.OutputWords))).ToList();
        double mx = xs.Average(), my = ys.Average();
        var sxx = xs.Sum(x => (x - mx) * (x - mx));
        var sxy = xs.Zip(ys).Sum(p => (p.First - mx) * (p.Second - my));
        var exponent = sxy / sxx;
        return (Math.Exp(my - exponent * mx), exponent);
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*")]
    private static partial Regex Word();
}
