using System.Globalization;
using System.Net;
using System.Text;

namespace SelfLong.Web.Features.Evaluation;

/// <summary>One heatmap cell: a score (0..1, or -1..1 for differences) and the text its tooltip shows.</summary>
public sealed record HeatmapCell(int Length, int Depth, double Score, string Tooltip);

/// <summary>
/// NIAH heatmaps as standalone SVG (EVALUATION.md): x = context length, y = depth, red #F0496E
/// through amber #EBB839 to green #0CD79F on a fixed 0..1 scale, grey cells beyond the target's
/// length, a dashed line at the training length, the mean printed with the chart. Every text is
/// XML-escaped, so model responses in tooltips are shown as text.
/// </summary>
public static class HeatmapSvg
{
    private const int CellWidth = 44, CellHeight = 26, Left = 70, Top = 40, Bottom = 56, Right = 90;

    public static string Render(string title, IReadOnlyList<int> lengths, IReadOnlyList<int> depths, IReadOnlyList<HeatmapCell> cells,
        int maxLength, int? trainingLength, bool difference = false)
    {
        var width = Left + lengths.Count * CellWidth + Right;
        var height = Top + depths.Count * CellHeight + Bottom;
        var lookup = cells.ToDictionary(c => (c.Length, c.Depth));
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\" data-testid=\"niah-heatmap\">"));
        svg.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"));
        var mean = cells.Count == 0 ? (double?)null : cells.Average(c => c.Score);
        var heading = difference ? $"{title} (mean difference {Format(mean)})" : $"{title} (mean score {Format(mean)})";
        svg.Append(Invariant($"<text x=\"{Left}\" y=\"18\" font-size=\"13\" font-weight=\"bold\" data-testid=\"heatmap-title\">{Escape(heading)}</text>"));

        for (var yi = 0; yi < depths.Count; yi++)
        {
            var y = Top + yi * CellHeight;
            svg.Append(Invariant($"<text x=\"{Left - 6}\" y=\"{y + CellHeight / 2 + 4}\" text-anchor=\"end\">{depths[yi]}%</text>"));
            for (var xi = 0; xi < lengths.Count; xi++)
            {
                var x = Left + xi * CellWidth;
                var beyond = lengths[xi] > maxLength;
                string fill, tip;
                if (beyond) (fill, tip) = ("#bdbdbd", $"{lengths[xi]} tokens at {depths[yi]}%: beyond the target's {maxLength} tokens, not run");
                else if (lookup.TryGetValue((lengths[xi], depths[yi]), out var cell))
                    (fill, tip) = (difference ? Diverging(cell.Score) : Color(cell.Score), $"{lengths[xi]} tokens at {depths[yi]}%: score {Format(cell.Score)}\n{cell.Tooltip}");
                else (fill, tip) = ("#f5f5f5", $"{lengths[xi]} tokens at {depths[yi]}%: not scored yet");
                svg.Append(Invariant($"<rect x=\"{x}\" y=\"{y}\" width=\"{CellWidth}\" height=\"{CellHeight}\" fill=\"{fill}\" stroke=\"#e0e0e0\" stroke-width=\"0.5\" data-cell=\"{lengths[xi]}-{depths[yi]}\"{(beyond ? " data-beyond=\"true\"" : "")}><title>{Escape(tip)}</title></rect>"));
            }
        }
        var gridBottom = Top + depths.Count * CellHeight;
        for (var xi = 0; xi < lengths.Count; xi++)
        {
            var x = Left + xi * CellWidth + CellWidth / 2;
            svg.Append(Invariant($"<text x=\"{x}\" y=\"{gridBottom + 14}\" text-anchor=\"middle\">{Short(lengths[xi])}</text>"));
        }
        svg.Append(Invariant($"<text x=\"{Left + lengths.Count * CellWidth / 2}\" y=\"{gridBottom + 34}\" text-anchor=\"middle\">Token Limit</text>"));
        svg.Append(Invariant($"<text x=\"14\" y=\"{Top + depths.Count * CellHeight / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {Top + depths.Count * CellHeight / 2})\">Depth Percent</text>"));

        if (trainingLength is { } training && lengths.Count > 0)
        {
            // Between the last length within training and the next one.
            var inside = lengths.Count(l => l <= training);
            var x = Left + inside * CellWidth;
            svg.Append(Invariant($"<line x1=\"{x}\" y1=\"{Top - 6}\" x2=\"{x}\" y2=\"{gridBottom + 4}\" stroke=\"#212121\" stroke-width=\"2\" stroke-dasharray=\"5,4\" data-testid=\"training-length\"><title>{Escape($"training length {training} tokens")}</title></line>"));
        }

        // Colour bar on the fixed scale.
        var barX = Left + lengths.Count * CellWidth + 24;
        for (var i = 0; i < 20; i++)
        {
            var v = 1 - i / 19.0;
            var score = difference ? v * 2 - 1 : v;
            svg.Append(Invariant($"<rect x=\"{barX}\" y=\"{Top + i * depths.Count * CellHeight / 20.0:0.##}\" width=\"14\" height=\"{depths.Count * CellHeight / 20.0 + 0.5:0.##}\" fill=\"{(difference ? Diverging(score) : Color(score))}\"/>"));
        }
        svg.Append(Invariant($"<text x=\"{barX + 18}\" y=\"{Top + 8}\">{(difference ? "+1" : "1")}</text>"));
        svg.Append(Invariant($"<text x=\"{barX + 18}\" y=\"{gridBottom}\">{(difference ? "-1" : "0")}</text>"));
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Red #F0496E (0) through amber #EBB839 (0.5) to green #0CD79F (1); clamped to 0..1.</summary>
    public static string Color(double score)
    {
        score = Math.Clamp(score, 0, 1);
        (int R, int G, int B) red = (0xF0, 0x49, 0x6E), amber = (0xEB, 0xB8, 0x39), green = (0x0C, 0xD7, 0x9F);
        return score < 0.5 ? Mix(red, amber, score * 2) : Mix(amber, green, (score - 0.5) * 2);
    }

    /// <summary>Differences B - A on -1..1: red for worse, white for equal, blue for better.</summary>
    public static string Diverging(double delta)
    {
        delta = Math.Clamp(delta, -1, 1);
        (int R, int G, int B) worse = (0xD7, 0x30, 0x27), same = (0xF7, 0xF7, 0xF7), better = (0x21, 0x66, 0xAC);
        return delta < 0 ? Mix(same, worse, -delta) : Mix(same, better, delta);
    }

    private static string Mix((int R, int G, int B) a, (int R, int G, int B) b, double t) =>
        $"#{(int)Math.Round(a.R + (b.R - a.R) * t):X2}{(int)Math.Round(a.G + (b.G - a.G) * t):X2}{(int)Math.Round(a.B + (b.B - a.B) * t):X2}";

    private static string Short(int tokens) => tokens >= 1000 ? $"{tokens / 1000.0:0.#}k" : tokens.ToString(CultureInfo.InvariantCulture);

    private static string Format(double? value) => value?.ToString("0.000", CultureInfo.InvariantCulture) ?? "n/a";

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
