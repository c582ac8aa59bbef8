using System.Net;
using System.Net.Http.Json;
using System.Text;
using SelfLong.Jobs.Evaluation;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Evaluation;

namespace SelfLong.Tests.Evaluation;

[NeedsDatabase]
public sealed class RulerImportTests(AppFixture app)
{
    [Fact]
    public async Task ImportRulerPredictions_ScoredWithRulerMetrics_ExportsSummaryAndJsonl()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = await app.CreateSignedInClientAsync();
        // RULER's own prediction rows: "pred", no task or length (one file per task and length).
        var jsonl = string.Join("\n",
            """{"index": 0, "pred": "The numbers are 1111111 and 2222222", "input": "prompt 0", "outputs": ["1111111", "2222222"], "others": {}, "truncation": -1, "length": 4000}""",
            """{"index": 1, "pred": "Only 3333333", "input": "prompt 1", "outputs": ["3333333", "4444444"], "others": {}, "truncation": -1, "length": 4000}""");
        using var form = new MultipartFormDataContent
        {
            { new StringContent($"imported-{Guid.NewGuid():N}"), "name" },
            { new StringContent("niah_multivalue"), "task" },
            { new StringContent("4096"), "length" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(jsonl)), "file", "niah_multivalue.jsonl" },
        };
        var response = await client.PostAsync("/api/evaluations/import", form, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var run = (await response.Content.ReadFromJsonAsync<EvaluationEndpoints.RunDto>(ct))!;

        var summary = await app.Services.GetRequiredService<EvaluationService>().RulerSummaryAsync(run.Id, ct);
        Assert.Equal(75.0, summary.Scores[("niah_multivalue", 4096)], 6);
        var csv = await client.GetStringAsync($"/api/evaluations/{run.Id}/ruler/summary.csv", ct);
        Assert.Contains("niah_multivalue,75", csv);
        Assert.Contains("covers 1 of 13 tasks", csv);
        Assert.Contains("average_covers,1 of 13 tasks", csv);
        Assert.Contains("tasks_averaged,1", csv);
        var json = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync($"/api/evaluations/{run.Id}/ruler/summary.json", ct)).RootElement;
        Assert.Equal("1 of 13 tasks", json.GetProperty("average_covers").GetString());
        Assert.Equal(1, json.GetProperty("tasks_averaged")[0].GetInt32());
        Assert.Equal(75.0, json.GetProperty("average")[0].GetDouble(), 6);
        var exported = await client.GetStringAsync($"/api/evaluations/{run.Id}/ruler/predictions.jsonl", ct);
        Assert.Equal(2, exported.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("\"prediction\":\"Only 3333333\"", exported);
    }

    [Fact]
    public async Task ImportRulerPredictions_GenuineNiahFileWithRepeatedIndex_ScoresEveryLineAsEvaluatePy()
    {
        var ct = TestContext.Current.CancellationToken;
        var predictions = app.Services.GetRequiredService<RulerPredictions>();
        // Rows as RULER's call_api.py writes them to pred/niah_single_2.jsonl; niah.py stores the answer's
        // character offset in "index", so two samples can share one.
        var jsonl = string.Join("\n",
            """{"index": 2113, "pred": " 8412345.", "input": "Some special magic numbers ... ", "outputs": ["8412345"], "others": {}, "truncation": -1, "length": 3968}""",
            """{"index": 977, "pred": "I do not know", "input": "Some special magic numbers ... ", "outputs": ["1234567"], "others": {}, "truncation": -1, "length": 3971}""",
            """{"index": 2113, "pred": "\u0007 7654321 \n", "input": "Some special magic numbers ... ", "outputs": ["7654321"], "others": {}, "truncation": -1, "length": 3966}""");

        var run = await predictions.ImportAsync($"genuine-{Guid.NewGuid():N}", new MemoryStream(Encoding.UTF8.GetBytes(jsonl)), "niah_single_2", 4096, ct);

        // evaluate.py: string_match_all over all three lines = (1 + 0 + 1) / 3 x 100, shown rounded to 66.67.
        var summary = await app.Services.GetRequiredService<EvaluationService>().RulerSummaryAsync(run.Id, ct);
        Assert.Equal(200.0 / 3, summary.Scores[("niah_single_2", 4096)], 6);
        Assert.Contains("niah_single_2,66.67", await predictions.SummaryCsvAsync(run.Id, ct));
        Assert.Contains("numbered by line", run.Message);
        var samples = await app.Services.GetRequiredService<EvaluationService>().RulerSamplesAsync(run.Id, ct);
        Assert.Equal([0, 1, 2], samples.Select(s => s.Index).Order());
    }

    [Fact]
    public async Task ImportRulerPredictions_RowWithoutOutputs_ValidationProblemAndNothingStored()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = await app.CreateSignedInClientAsync();
        var name = $"broken-{Guid.NewGuid():N}";
        using var form = new MultipartFormDataContent
        {
            { new StringContent(name), "name" },
            { new StringContent("vt"), "task" },
            { new StringContent("4096"), "length" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes("""{"index": 0, "pred": "x"}""")), "file", "vt.jsonl" },
        };
        var response = await client.PostAsync("/api/evaluations/import", form, ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("outputs", await response.Content.ReadAsStringAsync(ct));
        var runs = await app.Services.GetRequiredService<EvaluationService>().ListAsync(0, 200, ct);
        Assert.DoesNotContain(runs, r => r.Name == name);
    }

    [Fact]
    public async Task ImportRulerPredictions_FieldOfWrongType_SaysWhichLine()
    {
        var ct = TestContext.Current.CancellationToken;
        var predictions = app.Services.GetRequiredService<RulerPredictions>();
        var jsonl = "{\"index\": 0, \"pred\": \"a\", \"outputs\": [\"a\"]}\n{\"index\": \"one\", \"pred\": \"a\", \"outputs\": [\"a\"]}";
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            predictions.ImportAsync($"typed-{Guid.NewGuid():N}", new MemoryStream(Encoding.UTF8.GetBytes(jsonl)), "cwe", 4096, ct));
        Assert.StartsWith("Line 2:", error.Message);
    }

    [Fact]
    public async Task Export_Anonymous_Returns401()
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync("/api/evaluations/1/niah.svg", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
