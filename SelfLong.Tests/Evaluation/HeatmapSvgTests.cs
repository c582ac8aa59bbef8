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
}
