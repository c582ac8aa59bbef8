using System.Globalization;
using System.Text;
using SelfLong.Web.Components.Charts;

namespace SelfLong.Web.Features.Evaluation;

/// <summary>What a line chart's y axis shows. <see cref="YMax"/> null: scaled to the data.</summary>
public sealed record LineChartAxes(string YLabel, double? YMax, double? Threshold, string ThresholdLabel, string TestId)
{
    /// <summary>RULER average 0..100 with the effective-length threshold (Llama-2-7B's 85.6).</summary>
    public static readonly LineChartAxes RulerAverage = new("RULER average", 100, 85.6, "85.6: effective-length threshold", "ruler-chart");

    public static readonly LineChartAxes Perplexity = new("Perplexity", null, null, "", "perplexity-chart");
}

/// <summary>
/// A score versus length, one line per run, as SVG (lengths evenly spaced: a log-2 axis for doubling
/// lengths). Optional markers draw a dashed vertical line at a length, such as a training length.
/// </summary>
public static class LineChartSvg
{
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

    public static string Render(IReadOnlyList<(string Name, IReadOnlyList<(int Length, double Score)> Points)> series,
        LineChartAxes? axes = null, IReadOnlyList<(int SeriesIndex, int Length, string Label)>? markers = null)
    {
        axes ??= LineChartAxes.RulerAverage;
        const int width = 560, height = 300, left = 56, right = 160, top = 20, bottom = 40;
        var lengths = series.SelectMany(s => s.Points.Select(p => p.Length)).Distinct().Order().ToList();
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\" data-testid=\"{axes.TestId}\">"));
        svg.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"));
        if (lengths.Count == 0) return svg.Append("</svg>").ToString();
        var yMax = axes.YMax ?? NiceMax(series.SelectMany(s => s.Points.Select(p => p.Score)).DefaultIfEmpty(1).Max());
        double plotW = width - left - right, plotH = height - top - bottom;
        double X(int length) => lengths.Count == 1 ? left + plotW / 2 : left + plotW * lengths.IndexOf(length) / (lengths.Count - 1);
        double Y(double score) => top + plotH * (1 - Math.Clamp(score / yMax, 0, 1));
        foreach (var tick in Enumerable.Range(0, 5).Select(i => yMax * i / 4))
            svg.Append(Invariant($"<line x1=\"{left}\" x2=\"{left + plotW}\" y1=\"{Y(tick):0.#}\" y2=\"{Y(tick):0.#}\" stroke=\"#eeeeee\"/><text x=\"{left - 6}\" y=\"{Y(tick) + 4:0.#}\" text-anchor=\"end\">{tick:0.##}</text>"));
        if (axes.Threshold is { } threshold)
            svg.Append(Invariant($"<line x1=\"{left}\" x2=\"{left + plotW}\" y1=\"{Y(threshold):0.#}\" y2=\"{Y(threshold):0.#}\" stroke=\"#9e9e9e\" stroke-dasharray=\"4,3\"><title>{HeatmapSvg.Escape(axes.ThresholdLabel)}</title></line>"));
        foreach (var length in lengths)
            svg.Append(Invariant($"<text x=\"{X(length):0.#}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\">{TokenLengths.Short(length)}</text>"));
        svg.Append(Invariant($"<text x=\"{left + plotW / 2:0.#}\" y=\"{height - 6}\" text-anchor=\"middle\">Length (tokens)</text>"));
        svg.Append(Invariant($"<text x=\"12\" y=\"{top + plotH / 2:0.#}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {top + plotH / 2:0.#})\">{HeatmapSvg.Escape(axes.YLabel)}</text>"));
        foreach (var (index, length, label) in markers ?? [])
        {
            if (MarkerX(lengths, length, X) is not { } x) continue;
            svg.Append(Invariant($"<line x1=\"{x:0.#}\" x2=\"{x:0.#}\" y1=\"{top}\" y2=\"{top + plotH}\" stroke=\"{Palette[index % Palette.Length]}\" stroke-dasharray=\"5,4\" data-testid=\"training-length-line\" data-length=\"{length}\"><title>{HeatmapSvg.Escape(label)}</title></line>"));
        }
        // A name's second line (after '\n') is shown under it in the legend: what a RULER average covers.
        var legendRow = 14 * series.Select(s => s.Name.Split('\n').Length).DefaultIfEmpty(1).Max();
        for (var i = 0; i < series.Count; i++)
        {
            var color = Palette[i % Palette.Length];
            var points = series[i].Points.OrderBy(p => p.Length).ToList();
            svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" data-series=\"{i}\" points=\"{string.Join(" ", points.Select(p => Invariant($"{X(p.Length):0.#},{Y(p.Score):0.#}")))}\"/>"));
            foreach (var p in points)
                svg.Append(Invariant($"<circle cx=\"{X(p.Length):0.#}\" cy=\"{Y(p.Score):0.#}\" r=\"3\" fill=\"{color}\" data-length=\"{p.Length}\"><title>{HeatmapSvg.Escape($"{series[i].Name.Replace('\n', ' ')}: {p.Score:0.0##} at {p.Length}")}</title></circle>"));
            var lines = series[i].Name.Split('\n').Select(l => l.Length > 24 ? l[..24] + "…" : l).ToList();
            var x = width - right + 10;
            svg.Append(Invariant($"<text x=\"{x}\" y=\"{top + 14 + legendRow * i}\" fill=\"{color}\" data-legend=\"{i}\">{HeatmapSvg.Escape(lines[0])}"));
            foreach (var line in lines.Skip(1)) svg.Append(Invariant($"<tspan x=\"{x}\" dy=\"14\">{HeatmapSvg.Escape(line)}</tspan>"));
            svg.Append("</text>");
        }
        return svg.Append("</svg>").ToString();
    }

    /// <summary>Where a length falls between the plotted ones, interpolated on the log scale; null outside them.</summary>
    private static double? MarkerX(List<int> lengths, int length, Func<int, double> x)
    {
        if (length < lengths[0] || length > lengths[^1]) return null;
        var upper = lengths.FindIndex(l => l >= length);
        if (lengths[upper] == length || upper == 0) return x(lengths[upper]);
        int a = lengths[upper - 1], b = lengths[upper];
        return x(a) + (x(b) - x(a)) * Math.Log((double)length / a) / Math.Log((double)b / a);
    }

    /// <summary>The next 1, 2 or 5 x 10^k at or above the largest value.</summary>
    private static double NiceMax(double max)
    {
        if (!double.IsFinite(max) || max <= 0) return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max)));
        return new[] { 1, 2, 5, 10 }.Select(m => m * magnitude).First(v => v >= max);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
