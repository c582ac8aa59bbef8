using System.Globalization;
using System.Text;
using SelfLong.Jobs.Evaluation.LengthFollowing;

namespace SelfLong.Web.Features.Evaluation;

/// <summary>One run's points on the length-following chart: each output's required and actual word count, and the run's summary.</summary>
public sealed record LengthFollowingSeries(string Name, IReadOnlyList<(int Required, int Actual)> Points, LengthFollowingSummary Summary);

/// <summary>
/// Required versus actual output length (the paper's Figure 3) as SVG: one dot per output, each run's
/// fitted line, and the ideal diagonal (actual = required), dashed. Both axes are logarithmic and share
/// one range, so the diagonal runs at 45 degrees and doubling lengths spread evenly.
/// </summary>
public static class LengthFollowingChartSvg
{
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

    public static string Render(IReadOnlyList<LengthFollowingSeries> series)
    {
        const int width = 600, height = 420, left = 64, right = 200, top = 20, bottom = 48;
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\" data-testid=\"length-following-chart\">"));
        svg.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"));
        var values = series.SelectMany(s => s.Points.SelectMany(p => new[] { p.Required, p.Actual })).Where(v => v > 0).ToList();
        if (values.Count == 0) return svg.Append("</svg>").ToString();
        // The shared range, widened a little so no dot sits on the frame.
        double low = Math.Log10(values.Min() / 1.25), high = Math.Log10(values.Max() * 1.25);
        double plotW = width - left - right, plotH = height - top - bottom;
        double X(double words) => left + plotW * (Math.Log10(Math.Max(words, 1)) - low) / (high - low);
        double Y(double words) => top + plotH * (1 - (Math.Clamp(Math.Log10(Math.Max(words, 1)), low, high) - low) / (high - low));
        foreach (var tick in Ticks(low, high))
        {
            svg.Append(Invariant($"<line x1=\"{left}\" x2=\"{left + plotW}\" y1=\"{Y(tick):0.#}\" y2=\"{Y(tick):0.#}\" stroke=\"#eeeeee\"/><text x=\"{left - 6}\" y=\"{Y(tick) + 4:0.#}\" text-anchor=\"end\">{tick.ToString("N0", CultureInfo.InvariantCulture)}</text>"));
            svg.Append(Invariant($"<line x1=\"{X(tick):0.#}\" x2=\"{X(tick):0.#}\" y1=\"{top}\" y2=\"{top + plotH}\" stroke=\"#eeeeee\"/><text x=\"{X(tick):0.#}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\">{tick.ToString("N0", CultureInfo.InvariantCulture)}</text>"));
        }
        double from = Math.Pow(10, low), to = Math.Pow(10, high);
        svg.Append(Invariant($"<line x1=\"{X(from):0.#}\" y1=\"{Y(from):0.#}\" x2=\"{X(to):0.#}\" y2=\"{Y(to):0.#}\" stroke=\"#9e9e9e\" stroke-dasharray=\"5,4\" data-testid=\"ideal-line\"><title>Ideal: the output as long as required</title></line>"));
        svg.Append(Invariant($"<text x=\"{left + plotW / 2:0.#}\" y=\"{height - 8}\" text-anchor=\"middle\">Required length (words)</text>"));
        svg.Append(Invariant($"<text x=\"14\" y=\"{top + plotH / 2:0.#}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {top + plotH / 2:0.#})\">Output length (words)</text>"));
        for (var i = 0; i < series.Count; i++)
        {
            var (name, points, summary) = series[i];
            var color = Palette[i % Palette.Length];
            foreach (var (required, actual) in points)
                svg.Append(Invariant($"<circle cx=\"{X(required):0.#}\" cy=\"{Y(actual):0.#}\" r=\"3.5\" fill=\"{color}\" fill-opacity=\"0.7\" data-series=\"{i}\" data-required=\"{required}\" data-actual=\"{actual}\"><title>{HeatmapSvg.Escape($"{name}: asked for {required} words, wrote {actual}")}</title></circle>"));
            if (points.Count > 0 && summary.Fitted(points.Min(p => p.Required)) is { } fitLow && summary.Fitted(points.Max(p => p.Required)) is { } fitHigh)
            {
                int a = points.Min(p => p.Required), b = points.Max(p => p.Required);
                svg.Append(Invariant($"<line x1=\"{X(a):0.#}\" y1=\"{Y(fitLow):0.#}\" x2=\"{X(b):0.#}\" y2=\"{Y(fitHigh):0.#}\" stroke=\"{color}\" stroke-width=\"2\" data-testid=\"fit-line\" data-series=\"{i}\"><title>{HeatmapSvg.Escape($"{name}: fitted output ≈ {summary.FitScale:0.###} × required^{summary.FitExponent:0.###}")}</title></line>"));
            }
            var x = width - right + 12;
            var label = name.Length > 26 ? name[..26] + "…" : name;
            var error = summary.MeanAbsoluteRelativeError is { } mare ? $"mean relative error {mare:0.###}" : "no outputs yet";
            svg.Append(Invariant($"<text x=\"{x}\" y=\"{top + 14 + 32 * i}\" fill=\"{color}\" data-legend=\"{i}\">{HeatmapSvg.Escape(label)}<tspan x=\"{x}\" dy=\"14\">{HeatmapSvg.Escape(error)}</tspan></text>"));
        }
        return svg.Append("</svg>").ToString();
    }

    /// <summary>1, 2 and 5 x 10^k within the range, so a log axis reads in round numbers.</summary>
    private static IEnumerable<double> Ticks(double low, double high)
    {
        for (var power = (int)Math.Floor(low); power <= (int)Math.Ceiling(high); power++)
            foreach (var m in new[] { 1, 2, 5 })
            {
                var value = m * Math.Pow(10, power);
                if (Math.Log10(value) >= low && Math.Log10(value) <= high) yield return value;
            }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
