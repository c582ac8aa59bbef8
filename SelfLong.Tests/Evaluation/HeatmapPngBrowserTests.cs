using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Playwright;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Evaluation;

namespace SelfLong.Tests.Evaluation;

/// <summary>The run page's PNG button: the heatmap drawn at twice its size, each cell in its score's colour.</summary>
[NeedsBrowser]
public sealed class HeatmapPngBrowserTests(AppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task PngButton_FinishedGrid_DownloadsTheHeatmapAtTwiceItsSizeInTheCellsColours()
    {
        var id = await NiahDownloadsTests.FinishedRunAsync(app);
        var page = await browser.OpenSignedInAsync(app, $"/evaluation/{id}");
        var svg = page.Locator($"#niah-heatmap-{id} svg");
        await svg.WaitForAsync();
        var width = Number(await svg.GetAttributeAsync("width"));
        var height = Number(await svg.GetAttributeAsync("height"));

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "PNG", Exact = true }).ClickAsync());

        Assert.Equal($"niah-{id}.png", download.SuggestedFilename);
        var png = await File.ReadAllBytesAsync((await download.PathAsync())!, TestContext.Current.CancellationToken);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(((int)(2 * width), (int)(2 * height)), (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))));

        // The browser decodes the file; the centre of each cell is its score's colour (found at the top, missed at the bottom).
        var cells = svg.Locator("rect[data-cell]");
        var expected = new Dictionary<string, string>
        {
            ["1000-0"] = HeatmapSvg.Color(1), ["1000-100"] = HeatmapSvg.Color(0),
            ["2000-0"] = HeatmapSvg.Color(1), ["2000-100"] = HeatmapSvg.Color(0),
        };
        Assert.Equal(expected.Count, await cells.CountAsync());
        var points = new List<double[]>();
        var names = new List<string>();
        foreach (var cell in await cells.AllAsync())
        {
            names.Add((await cell.GetAttributeAsync("data-cell"))!);
            var box = await Task.WhenAll(new[] { "x", "y", "width", "height" }.Select(async a => Number(await cell.GetAttributeAsync(a))));
            points.Add([2 * (box[0] + box[2] / 2), 2 * (box[1] + box[3] / 2)]);
        }
        var colours = await page.EvaluateAsync<string[]>("""
            async ([data, points]) => {
                const image = new Image();
                image.src = data;
                await image.decode();
                const canvas = document.createElement("canvas");
                canvas.width = image.width; canvas.height = image.height;
                const context = canvas.getContext("2d");
                context.drawImage(image, 0, 0);
                return points.map(([x, y]) => "#" + Array.from(context.getImageData(Math.floor(x), Math.floor(y), 1, 1).data.slice(0, 3))
                    .map(v => v.toString(16).padStart(2, "0")).join(""));
            }
            """, new object[] { "data:image/png;base64," + Convert.ToBase64String(png), points });
        Assert.Equal(names.Select(n => expected[n].ToLowerInvariant()), colours);
        await page.Context.CloseAsync();
    }

    private static double Number(string? text) => double.Parse(text!, CultureInfo.InvariantCulture);
}
