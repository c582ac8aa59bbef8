using System.Globalization;
using System.Text;

namespace SelfLong.Web.Features.Evaluation;

/// <summary>RULER average versus length, one line per run, as SVG (log-2 x axis, 0..100 y axis).</summary>
public static class LineChartSvg
{
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

    public static string Render(IReadOnlyList<(string Name, IReadOnlyList<(int Length, double Score)> Points)> series)
    {
        const int width = 560, height = 300, left = 56, right = 160, top = 20, bottom = 40;
        var lengths = series.SelectMany(s => s.Points.Select(p => p.Length)).Distinct().Order().ToList();
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\" data-testid=\"ruler-chart\">"));
        svg.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"));
        if (lengths.Count == 0) return svg.Append("</svg>").ToString();
        double plotW = width - left - right, plotH = height - top - bottom;
        double X(int length) => lengths.Count == 1 ? left + plotW / 2 : left + plotW * lengths.IndexOf(length) / (lengths.Count - 1);
        double Y(double score) => top + plotH * (1 - score / 100);
        foreach (var tick in new[] { 0, 25, 50, 75, 100 })
            svg.Append(Invariant($"<line x1=\"{left}\" x2=\"{left + plotW}\" y1=\"{Y(tick):0.#}\" y2=\"{Y(tick):0.#}\" stroke=\"#eeeeee\"/><text x=\"{left - 6}\" y=\"{Y(tick) + 4:0.#}\" text-anchor=\"end\">{tick}</text>"));
        svg.Append(Invariant($"<line x1=\"{left}\" x2=\"{left + plotW}\" y1=\"{Y(85.6):0.#}\" y2=\"{Y(85.6):0.#}\" stroke=\"#9e9e9e\" stroke-dasharray=\"4,3\"><title>85.6: effective-length threshold</title></line>"));
        foreach (var length in lengths)
            svg.Append(Invariant($"<text x=\"{X(length):0.#}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\">{length / 1024}k</text>"));
        svg.Append(Invariant($"<text x=\"{left + plotW / 2:0.#}\" y=\"{height - 6}\" text-anchor=\"middle\">Length (tokens)</text>"));
        svg.Append(Invariant($"<text x=\"12\" y=\"{top + plotH / 2:0.#}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {top + plotH / 2:0.#})\">RULER average</text>"));
        for (var i = 0; i < series.Count; i++)
        {
            var color = Palette[i % Palette.Length];
            var points = series[i].Points.OrderBy(p => p.Length).ToList();
            svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(" ", points.Select(p => Invariant($"{X(p.Length):0.#},{Y(p.Score):0.#}")))}\"/>"));
            foreach (var p in points)
                svg.Append(Invariant($"<circle cx=\"{X(p.Length):0.#}\" cy=\"{Y(p.Score):0.#}\" r=\"3\" fill=\"{color}\"><title>{HeatmapSvg.Escape($"{series[i].Name}: {p.Score:0.0} at {p.Length}")}</title></circle>"));
            svg.Append(Invariant($"<text x=\"{width - right + 10}\" y=\"{top + 14 * (i + 1)}\" fill=\"{color}\">{HeatmapSvg.Escape(series[i].Name.Length > 24 ? series[i].Name[..24] + "…" : series[i].Name)}</text>"));
        }
        return svg.Append("</svg>").ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
