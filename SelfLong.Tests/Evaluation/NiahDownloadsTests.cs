using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Evaluation;

namespace SelfLong.Tests.Evaluation;

/// <summary>
/// The NIAH run's downloads (heatmap SVG, CSV, per-cell JSON) as a signed-in user gets them from the API,
/// each carrying the cells the run stored; without sign-in each is refused.
/// </summary>
[NeedsDatabase]
public sealed class NiahDownloadsTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NiahDownloads_SignedInViewer_SvgCsvJsonCarryTheStoredCells()
    {
        var id = await FinishedRunAsync(app);
        using var viewer = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);

        var svgResponse = await viewer.GetAsync($"/api/evaluations/{id}/niah.svg", Ct);
        Assert.Equal(HttpStatusCode.OK, svgResponse.StatusCode);
        Assert.Equal("image/svg+xml", svgResponse.Content.Headers.ContentType?.MediaType);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var cells = XDocument.Parse(await svgResponse.Content.ReadAsStringAsync(Ct)).Descendants(ns + "rect")
            .Where(r => r.Attribute("data-cell") is not null).ToDictionary(r => r.Attribute("data-cell")!.Value, r => r.Attribute("fill")!.Value);
        Assert.Equal(new Dictionary<string, string>
        {
            ["1000-0"] = HeatmapSvg.Color(1), ["1000-100"] = HeatmapSvg.Color(0),
            ["2000-0"] = HeatmapSvg.Color(1), ["2000-100"] = HeatmapSvg.Color(0),
        }, cells);

        var csv = (await viewer.GetStringAsync($"/api/evaluations/{id}/niah.csv", Ct)).Trim().Split('\n');
        Assert.Equal("context_length,depth_percent,score,prompt_tokens,duration_seconds", csv[0]);
        var rows = csv[1..].Select(l => l.Split(',')).OrderBy(r => int.Parse(r[0], CultureInfo.InvariantCulture)).ThenBy(r => int.Parse(r[1], CultureInfo.InvariantCulture))
            .Select(r => $"{r[0]},{r[1]},{r[2]}").ToList();
        Assert.Equal(["1000,0,1", "1000,100,0", "2000,0,1", "2000,100,0"], rows);
        Assert.All(csv[1..], l => Assert.InRange(int.Parse(l.Split(',')[3], CultureInfo.InvariantCulture), 500, 2000));

        var json = JsonDocument.Parse(await viewer.GetStringAsync($"/api/evaluations/{id}/niah.json", Ct)).RootElement.EnumerateArray().ToList();
        Assert.Equal(4, json.Count);
        Assert.All(json, c =>
        {
            Assert.Equal(NiahSettings.FuNeedle, c.GetProperty("needle").GetString());
            var depth = c.GetProperty("depth_percent").GetInt32();
            Assert.Equal(depth == 0 ? Answer : "I do not know.", c.GetProperty("model_response").GetString());
            Assert.Equal(depth == 0 ? 1.0 : 0.0, c.GetProperty("score").GetDouble(), 6);
        });
        // The target's key is never exported.
        Assert.DoesNotContain("sk-test-secret", await viewer.GetStringAsync($"/api/evaluations/{id}/niah.json", Ct));
    }

    [Theory]
    [InlineData("niah.svg")]
    [InlineData("niah.csv")]
    [InlineData("niah.json")]
    public async Task NiahDownload_NotSignedIn_Unauthorized(string file)
    {
        var id = await FinishedRunAsync(app);
        using var anonymous = app.CreatePlainClient();

        var response = await anonymous.GetAsync($"/api/evaluations/{id}/{file}", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain(Answer, await response.Content.ReadAsStringAsync(Ct));
    }

    internal const string Answer = "The best thing to do is eat a sandwich and sit in Dolores Park on a sunny day.";

    /// <summary>A 2 x 2 grid: the needle at the top is found, at the bottom it is not.</summary>
    internal static async Task<long> FinishedRunAsync(AppFixture app)
    {
        var server = await OpenAiTestServer.StartAsync();
        await using var _ = server;
        server.CompletionResponder = prompt =>
        {
            var book = prompt[..prompt.IndexOf("</book>", StringComparison.Ordinal)];
            return book.IndexOf(NiahSettings.FuNeedle, StringComparison.Ordinal) < book.Length / 2 ? Answer : "I do not know.";
        };
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateNiahAsync($"downloads-{Guid.NewGuid():N}", NiahTests.Target(server, 4000),
            new NiahSettings { Lengths = [1000, 2000], Depths = [0, 100] }, Ct);
        return (await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, Ct)).Id;
    }
}
