using System.Globalization;
using System.Net;
using System.Text;
using SelfLong.Web.Components.Charts;

namespace SelfLong.Web.Features.Evaluation;

/// <summary>One heatmap cell: a score (0..1, or -1..1 for differences) and the text its tooltip shows.</summary>
public sealed record HeatmapCell(int Length, int Depth, double Score, string Tooltip);

/// <summary>
/// NIAH heatmaps as standalone SVG (EVALUATION.md): x = context length in the target's unit, y = depth,
/// red #F0496E through amber #EBB839 to green #0CD79F on a fixed 0..1 scale, grey cells beyond the
/// target's length, a dashed line at the training length, the mean in the title. The title and the
/// scoring note wrap instead of being cut, and the grid is laid out for <see cref="LayoutWidth"/> so a
/// 40 x 20 grid stays readable when the page scales it to its width. Every text is XML-escaped, so model
/// responses in tooltips are shown as text.
/// </summary>
public static class HeatmapSvg
{
    private const int Left = 70, Right = 110, TitleLine = 17, LineHeight = 15;
    private const int TitleSize = 13, NoteSize = 12;

    /// <summary>The width the grid is laid out for; the page scales the SVG to its container (CSS width 100%).</summary>
    public const int LayoutWidth = 900;

    /// <param name="unit">What the lengths count: "tokens", or "bytes" for a byte-level model.</param>
    /// <param name="convention">The scoring convention, printed under the chart with the colour scale's meaning.</param>
    /// <param name="interactive">
    /// Scored cells become buttons (one tab stop for the grid, arrow keys between cells: NiahHeatmap.razor.js)
    /// that open the cell's drawer; the SVG is then a group, as an image may not hold controls.
    /// </param>
    public static string Render(string title, IReadOnlyList<int> lengths, IReadOnlyList<int> depths, IReadOnlyList<HeatmapCell> cells,
        int maxLength, int? trainingLength, bool difference = false, string unit = "tokens", string? convention = null, bool interactive = false)
    {
        // Cells share the layout width (40 lengths x 20 depths still fit), within readable bounds.
        var cellWidth = Math.Clamp((LayoutWidth - Left - Right) / Math.Max(1, lengths.Count), 16, 72);
        var cellHeight = Math.Clamp(360 / Math.Max(1, depths.Count), 14, 28);
        var gridWidth = lengths.Count * cellWidth;
        var width = Math.Max(Left + gridWidth + Right, 360);
        // Narrow columns get their length labels at a slant so they never overlap.
        var slanted = lengths.Select(l => TokenLengths.Short(l).Length).DefaultIfEmpty(0).Max() * 7 > cellWidth;
        var mean = cells.Count == 0 ? (double?)null : cells.Average(c => c.Score);
        var heading = difference ? $"{title} (mean difference {Format(mean)})" : $"{title} (mean score {Format(mean)})";
        var titleLines = Wrap(heading, width - 16, TitleSize);
        var top = 12 + titleLines.Count * TitleLine + 8;
        var gridBottom = top + depths.Count * cellHeight;
        var axisTitleY = gridBottom + (slanted ? 52 : 32);
        var notes = Wrap(Legend(difference, convention), width - 16, NoteSize);
        var height = axisTitleY + 10 + notes.Count * LineHeight + 6;
        var lookup = cells.ToDictionary(c => (c.Length, c.Depth));
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\" role=\"{(interactive ? "group" : "img")}\" aria-label=\"{Escape(heading)}\" data-testid=\"niah-heatmap\">"));
        svg.Append(Invariant($"<title>{Escape(heading)}</title><rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"));
        svg.Append("<text font-size=\"13\" font-weight=\"bold\" data-testid=\"heatmap-title\">");
        for (var i = 0; i < titleLines.Count; i++)
            svg.Append(Invariant($"<tspan x=\"8\" y=\"{12 + TitleLine * (i + 1) - 4}\">{Escape(titleLines[i])}</tspan>"));
        svg.Append("</text>");

        var firstButton = true;
        for (var yi = 0; yi < depths.Count; yi++)
        {
            var y = top + yi * cellHeight;
            svg.Append(Invariant($"<text x=\"{Left - 6}\" y=\"{y + cellHeight / 2 + 4}\" text-anchor=\"end\">{depths[yi]}%</text>"));
            for (var xi = 0; xi < lengths.Count; xi++)
            {
                var x = Left + xi * cellWidth;
                var beyond = lengths[xi] > maxLength;
                var at = $"{lengths[xi]:N0} {unit} at {depths[yi]}% depth";
                string fill, tip, button = "";
                if (beyond) (fill, tip) = ("#bdbdbd", $"{at}: beyond the target's {maxLength:N0} {unit}, not run");
                else if (lookup.TryGetValue((lengths[xi], depths[yi]), out var cell))
                {
                    var value = difference ? $"difference {Signed(cell.Score)}" : $"score {Format(cell.Score)}";
                    (fill, tip) = (difference ? Diverging(cell.Score) : Color(cell.Score), $"{at}: {value}\n{cell.Tooltip}");
                    if (interactive)
                    {
                        button = Invariant($" role=\"button\" tabindex=\"{(firstButton ? 0 : -1)}\" aria-label=\"{Escape($"{at}: {value}. Open its samples.")}\"");
                        firstButton = false;
                    }
                }
                else (fill, tip) = ("#f5f5f5", $"{at}: not scored yet");
                svg.Append(Invariant($"<rect x=\"{x}\" y=\"{y}\" width=\"{cellWidth}\" height=\"{cellHeight}\" fill=\"{fill}\" stroke=\"#e0e0e0\" stroke-width=\"0.5\" data-cell=\"{lengths[xi]}-{depths[yi]}\"{(beyond ? " data-beyond=\"true\"" : "")}{button}><title>{Escape(tip)}</title></rect>"));
            }
        }
        for (var xi = 0; xi < lengths.Count; xi++)
        {
            var x = Left + xi * cellWidth + cellWidth / 2;
            svg.Append(slanted
                ? Invariant($"<text x=\"{x}\" y=\"{gridBottom + 12}\" text-anchor=\"end\" transform=\"rotate(-45 {x} {gridBottom + 12})\">{TokenLengths.Short(lengths[xi])}</text>")
                : Invariant($"<text x=\"{x}\" y=\"{gridBottom + 15}\" text-anchor=\"middle\">{TokenLengths.Short(lengths[xi])}</text>"));
        }
        svg.Append(Invariant($"<text x=\"{Left + gridWidth / 2}\" y=\"{axisTitleY}\" text-anchor=\"middle\">Context length ({Escape(unit)})</text>"));
        svg.Append(Invariant($"<text x=\"14\" y=\"{top + depths.Count * cellHeight / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {top + depths.Count * cellHeight / 2})\">Needle depth (%)</text>"));

        if (trainingLength is { } training && lengths.Count > 0)
        {
            // Between the last length within training and the next one.
            var inside = lengths.Count(l => l <= training);
            var x = Left + inside * cellWidth;
            svg.Append(Invariant($"<line x1=\"{x}\" y1=\"{top - 6}\" x2=\"{x}\" y2=\"{gridBottom + 4}\" stroke=\"#212121\" stroke-width=\"2\" stroke-dasharray=\"5,4\" data-testid=\"training-length\"><title>{Escape($"training length {training:N0} {unit}")}</title></line>"));
        }

        // Colour bar on the fixed scale, beside the grid.
        var barX = Left + gridWidth + 20;
        var barHeight = depths.Count * cellHeight;
        for (var i = 0; i < 20; i++)
        {
            var v = 1 - i / 19.0;
            var score = difference ? v * 2 - 1 : v;
            svg.Append(Invariant($"<rect x=\"{barX}\" y=\"{top + i * barHeight / 20.0:0.##}\" width=\"14\" height=\"{barHeight / 20.0 + 0.5:0.##}\" fill=\"{(difference ? Diverging(score) : Color(score))}\"/>"));
        }
        svg.Append(Invariant($"<text x=\"{barX + 18}\" y=\"{top + 9}\">{(difference ? "+1 better" : "1 found")}</text>"));
        svg.Append(Invariant($"<text x=\"{barX + 18}\" y=\"{top + barHeight / 2 + 4}\">{(difference ? "0 same" : "0.5")}</text>"));
        svg.Append(Invariant($"<text x=\"{barX + 18}\" y=\"{gridBottom}\">{(difference ? "-1 worse" : "0 missed")}</text>"));
        svg.Append("<text font-size=\"11\" fill=\"#424242\" data-testid=\"heatmap-legend\">");
        for (var i = 0; i < notes.Count; i++)
            svg.Append(Invariant($"<tspan x=\"8\" y=\"{axisTitleY + 10 + LineHeight * (i + 1) - 3}\">{Escape(notes[i])}</tspan>"));
        svg.Append("</text></svg>");
        return svg.ToString();
    }

    private static string Legend(bool difference, string? convention) =>
        (difference ? "Each cell: this run's score minus the baseline's, blue better, red worse." : "Score per cell, 0 (red) to 1 (green) on a fixed scale.")
        + (convention is null ? "" : $" Scoring: {convention}.") + " Grey: beyond the target's length. Dashed: training length.";

    /// <summary>Words into lines of at most about <paramref name="perLine"/> characters; a longer word gets a line of its own.</summary>
    /// <summary>
    /// Lines no wider than <paramref name="width"/>; a line that ends where a space was keeps it at
    /// its end, so the lines joined (the SVG text's content, which tests and screen readers see) are
    /// the text again, even where a word too wide for a line was cut.
    /// </summary>
    internal static List<string> Wrap(string text, double width, int fontSize)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        // The line's width so far, kept as characters are added rather than measured again for each.
        var lineWidth = 0.0;
        void Break(string end)
        {
            lines.Add(line.Append(end).ToString());
            line.Clear();
            lineWidth = 0;
        }
        var space = CharWidth(' ') * fontSize;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && lineWidth + space + TextWidth(word, fontSize) > width) Break(" ");
            if (line.Length > 0)
            {
                line.Append(' ');
                lineWidth += space;
            }
            // A word wider than a line on its own (a run name that is one long id) is cut where it must be.
            foreach (var c in word)
            {
                var w = CharWidth(c) * fontSize;
                if (line.Length > 0 && lineWidth + w > width) Break("");
                line.Append(c);
                lineWidth += w;
            }
        }
        if (line.Length > 0) lines.Add(line.ToString());
        return lines;
    }

    /// <summary>
    /// A text's width in pixels at <paramref name="fontSize"/>, from DejaVu Sans Bold's advance
    /// widths by kind of character, rounded up: the widest of the fonts "sans-serif" falls back to
    /// (a bare Debian with Chromium has only DejaVu), so a line that fits here fits in any of them.
    /// Counting characters instead ran past the chart with ids made of digits and wide letters.
    /// </summary>
    public static double TextWidth(string text, int fontSize) => text.Sum(CharWidth) * fontSize;

    /// <summary>One character's advance width in em (see <see cref="TextWidth"/>).</summary>
    private static double CharWidth(char c) => c switch
    {
        ' ' => 0.35,
        'i' or 'j' or 'l' or 'I' or 'J' or '.' or ',' or ':' or ';' or '\'' or '!' or '|' => 0.40,
        'f' or 't' or 'r' or '(' or ')' or '[' or ']' or '-' or '/' => 0.50,
        'c' or 's' or 'z' => 0.60,
        'm' or 'M' or '%' => 1.05,
        'w' or 'W' => 1.11,
        >= 'a' and <= 'z' or >= '0' and <= '9' => 0.72,
        >= 'A' and <= 'Z' => 0.85,
        _ => 1.0,
    };

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

    private static string Signed(double value) => value.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture);

    private static string Format(double? value) => value?.ToString("0.000", CultureInfo.InvariantCulture) ?? "n/a";

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
