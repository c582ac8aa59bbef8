using System.Globalization;
using System.Text;
using SelfLong.Web.Features.Evaluation;

namespace SelfLong.Web.Features.Training;

/// <summary>
/// Training loss by step, one colour per stage, as SVG that fills its card's width (viewBox). The
/// y axis spans the data (losses near 1 to 3 are not drawn on 0 to 20), optionally on a log scale,
/// and an exponential moving average smooths the noise of small batches.
/// </summary>
public static class LossChartSvg
{
    private const int Width = 1000, Height = 320, Left = 60, Right = 20, Top = 16, Bottom = 44;
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

    /// <param name="smoothing">EMA weight of the previous value, 0 (raw) to below 1; restarts at each stage.</param>
    public static string Render(IReadOnlyList<(int Step, int Stage, double Loss)> points, IReadOnlyList<string> stageNames, double smoothing, bool log)
    {
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"100%\" role=\"img\" aria-label=\"Training loss by step\" font-family=\"sans-serif\" font-size=\"14\" data-testid=\"loss-chart\">"));
        var finite = points.Where(p => double.IsFinite(p.Loss) && (!log || p.Loss > 0)).ToList();
        if (finite.Count == 0) return svg.Append("</svg>").ToString();
        var smoothed = Smooth(finite, Math.Clamp(smoothing, 0, 0.99));
        Func<double, double> scale = log ? Math.Log10 : v => v;
        var (low, high) = Range(smoothed.Select(p => scale(p.Loss)).ToList());
        int firstStep = finite[0].Step, lastStep = Math.Max(finite[^1].Step, firstStep + 1);
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double X(int step) => Left + plotW * (step - firstStep) / (lastStep - firstStep);
        double Y(double value) => Top + plotH * (1 - (scale(value) - low) / (high - low));
        for (var i = 0; i <= 4; i++)
        {
            var v = low + (high - low) * i / 4;
            var label = log ? Math.Pow(10, v) : v;
            var y = Top + plotH * (1 - i / 4.0);
            svg.Append(Invariant($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#e0e0e0\"/><text x=\"{Left - 6}\" y=\"{y + 5:0.#}\" text-anchor=\"end\" data-testid=\"loss-y-tick\">{label:0.###}</text>"));
        }
        for (var i = 0; i <= 5; i++)
        {
            var step = firstStep + (lastStep - firstStep) * i / 5;
            svg.Append(Invariant($"<text x=\"{X(step):0.#}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{step}</text>"));
        }
        svg.Append(Invariant($"<text x=\"{Left + plotW / 2:0.#}\" y=\"{Height - 6}\" text-anchor=\"middle\">Step</text>"));
        svg.Append(Invariant($"<text x=\"14\" y=\"{Top + plotH / 2:0.#}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {Top + plotH / 2:0.#})\">Loss{(log ? " (log scale)" : "")}</text>"));
        foreach (var stage in smoothed.GroupBy(p => p.Stage))
        {
            var color = Palette[stage.Key % Palette.Length];
            var name = stage.Key < stageNames.Count ? stageNames[stage.Key] : $"Stage {stage.Key + 1}";
            svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" data-stage=\"{stage.Key}\" points=\"{string.Join(" ", stage.Select(p => Invariant($"{X(p.Step):0.#},{Y(p.Loss):0.#}")))}\"><title>{HeatmapSvg.Escape(name)}</title></polyline>"));
        }
        return svg.Append("</svg>").ToString();
    }

    /// <summary>The colour of a stage's line, for a legend beside the chart.</summary>
    public static string StageColor(int stage) => Palette[stage % Palette.Length];

    /// <summary>The axis range in scaled units: the data's, padded by 5 % so no line sits on the frame.</summary>
    internal static (double Low, double High) Range(IReadOnlyList<double> values)
    {
        double min = values.Min(), max = values.Max();
        var pad = max > min ? (max - min) * 0.05 : Math.Max(Math.Abs(max) * 0.05, 0.01);
        return (min - pad, max + pad);
    }

    private static List<(int Step, int Stage, double Loss)> Smooth(List<(int Step, int Stage, double Loss)> points, double weight)
    {
        var result = new List<(int, int, double)>(points.Count);
        double? last = null;
        var stage = -1;
        foreach (var (step, s, loss) in points)
        {
            if (s != stage) { last = null; stage = s; }
            last = last is { } l ? weight * l + (1 - weight) * loss : loss;
            result.Add((step, s, last.Value));
        }
        return result;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
