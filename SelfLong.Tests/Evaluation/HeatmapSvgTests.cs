using System.Xml.Linq;
using SelfLong.Web.Features.Evaluation;

namespace SelfLong.Tests.Evaluation;

public sealed class HeatmapSvgTests
{
    [Theory]
    [InlineData(0.0, "#F0496E")]
    [InlineData(0.5, "#EBB839")]
    [InlineData(1.0, "#0CD79F")]
    [InlineData(1.7, "#0CD79F")]
    public void Color_FixedScale_RedAmberGreen(double score, string expected) => Assert.Equal(expected, HeatmapSvg.Color(score));

    [Fact]
    public void Diverging_ZeroIsNeutral_SignsDiffer()
    {
        Assert.Equal("#F7F7F7", HeatmapSvg.Diverging(0));
        Assert.NotEqual(HeatmapSvg.Diverging(-1), HeatmapSvg.Diverging(1));
    }

    [Fact]
    public void Render_ResponseWithMarkup_IsEscapedTextAndGreyBeyondLength()
    {
        var svg = HeatmapSvg.Render("run <b>", [1000, 2000, 3000], [0, 100],
            [new HeatmapCell(1000, 0, 1, "Response: <script>alert(1)</script>"), new HeatmapCell(2000, 100, 0, "Response: none")],
            maxLength: 2000, trainingLength: 1000);

        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Empty(doc.Descendants(ns + "script"));
        var cells = doc.Descendants(ns + "rect").Where(r => r.Attribute("data-cell") is not null).ToList();
        Assert.Equal(6, cells.Count);
        Assert.All(cells.Where(c => c.Attribute("data-cell")!.Value.StartsWith("3000")), c => Assert.Equal("#bdbdbd", c.Attribute("fill")!.Value));
        Assert.Contains("<script>alert(1)</script>", cells.Single(c => c.Attribute("data-cell")!.Value == "1000-0").Value);
        Assert.Contains("mean score 0.500", doc.Descendants(ns + "text").First().Value);
        Assert.Single(doc.Descendants(ns + "line"), l => l.Attribute("stroke-dasharray") is not null);
    }

    [Fact]
    public void Render_NarrowChartNamedByALongId_CutsTheIdToFitAndKeepsTheNameWhole()
    {
        var name = "d564199b38ed4a5c8b8f9b5b1b8866f5d564199b38ed4a5c − Demo NIAH: stage 3 (1024 bytes, theta 160000)";

        var doc = XDocument.Parse(HeatmapSvg.Render(name, [256, 512], [0, 50, 100], [], 1024, null, unit: "bytes"));

        XNamespace ns = "http://www.w3.org/2000/svg";
        var width = int.Parse(doc.Root!.Attribute("width")!.Value);
        var title = doc.Descendants(ns + "text").Single(t => (string?)t.Attribute("data-testid") == "heatmap-title");
        Assert.Contains(name, title.Value);
        Assert.True(title.Elements(ns + "tspan").Count() >= 3);
        Assert.All(title.Elements(ns + "tspan"), t => Assert.True(HeatmapSvg.TextWidth(t.Value.TrimEnd(), 13) <= width - 16, t.Value));
    }

    [Fact]
    public void Render_PaperSizedGridAndLongName_FitsTheLayoutWidthAndWrapsTheTitleWhole()
    {
        var lengths = Enumerable.Range(1, 40).Select(i => i * 25_600).ToList();
        var depths = Enumerable.Range(0, 20).Select(i => i * 5).ToList();
        var name = "Demo 12 NIAH: stage 3 (1024 bytes, theta 160000) against the theta-only control, with a long tail of words";

        var doc = XDocument.Parse(HeatmapSvg.Render(name, lengths, depths, [], 1_024_000, 512_000, unit: "bytes", convention: "Kamradt (LLM judge, 1-10)"));

        XNamespace ns = "http://www.w3.org/2000/svg";
        var width = int.Parse(doc.Root!.Attribute("width")!.Value);
        Assert.InRange(width, 360, HeatmapSvg.LayoutWidth);
        var cells = doc.Descendants(ns + "rect").Where(r => r.Attribute("data-cell") is not null).ToList();
        Assert.Equal(800, cells.Count);
        Assert.All(cells, c => Assert.True(int.Parse(c.Attribute("width")!.Value) >= 16 && int.Parse(c.Attribute("height")!.Value) >= 14));
        var title = doc.Descendants(ns + "text").Single(t => (string?)t.Attribute("data-testid") == "heatmap-title");
        Assert.True(title.Elements(ns + "tspan").Count() > 1);
        Assert.Contains(name, title.Value);
        Assert.All(title.Elements(ns + "tspan"), t => Assert.True(HeatmapSvg.TextWidth(t.Value.TrimEnd(), 13) <= width - 16, t.Value));
        Assert.Contains(doc.Descendants(ns + "text"), t => t.Value == "Context length (bytes)");
        Assert.Contains("Scoring: Kamradt (LLM judge, 1-10).", doc.Descendants(ns + "text").Single(t => (string?)t.Attribute("data-testid") == "heatmap-legend").Value);
    }

    [Fact]
    public void Render_InteractiveDifference_ScoredCellsAreButtonsNamingTheSignedDifferenceAndBothScores()
    {
        var svg = HeatmapSvg.Render("B − A", [1000, 2000], [0, 100],
            [new HeatmapCell(1000, 0, -0.5, "B: 0.50 — late\nA: 1.00 — found"), new HeatmapCell(2000, 100, 1, "B: 1.00 — found\nA: 0.00 — missed")],
            maxLength: 2000, trainingLength: null, difference: true, interactive: true);

        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var buttons = doc.Descendants(ns + "rect").Where(r => (string?)r.Attribute("role") == "button").ToList();
        Assert.Equal(["1000-0", "2000-100"], buttons.Select(b => b.Attribute("data-cell")!.Value));
        var worse = buttons[0];
        Assert.Equal("1,000 tokens at 0% depth: difference -0.500. Open its samples.", worse.Attribute("aria-label")!.Value);
        Assert.Equal("1,000 tokens at 0% depth: difference -0.500\nB: 0.50 — late\nA: 1.00 — found", worse.Value);
        Assert.StartsWith("2,000 tokens at 100% depth: difference +1.000", buttons[1].Value);
        Assert.Equal(HeatmapSvg.Diverging(-0.5), worse.Attribute("fill")!.Value);
    }
}
