using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Evaluation.LmEval;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Evaluation;

namespace SelfLong.Tests.Evaluation;

[NeedsDatabase]
public sealed class LmEvalTests(AppFixture app) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("selflong-lmeval-").FullName;

    [Fact]
    public void Parse_HarnessResultsFile_EveryMetricWithStderrDirectionShotsAndModel()
    {
        var file = LmEvalResults.Parse("results_2024-07-01T10-00-00.json", Utf8(LmEvalFixtures.Results("meta-llama/Llama-3.1-8B-Instruct", 0.774, 0.507, 9.5, 1719828000.5)));

        Assert.Equal("meta-llama/Llama-3.1-8B-Instruct", file.Model);
        Assert.Equal(1719828000.5, file.Date);
        // leaderboard (2, once although "groups" repeats it), bbh (1), ifeval (2), wikitext (1); aliases and stderrs are not scores.
        Assert.Equal(6, file.Scores.Count);
        var strict = file.Scores.Single(s => s.Task == "leaderboard_ifeval" && s.Metric == "prompt_level_strict_acc");
        Assert.Equal(("none", 0.774, 0.018, true, 0, 541), (strict.Filter, strict.Value, strict.Stderr, strict.HigherIsBetter, strict.FewShot, strict.Samples));
        Assert.Null(file.Scores.Single(s => s.Metric == "inst_level_strict_acc").Stderr);
        Assert.False(file.Scores.Single(s => s.Metric == "word_perplexity").HigherIsBetter);
        Assert.Equal(3, file.Scores.Single(s => s.Task == "leaderboard_bbh").FewShot);
    }

    [Fact]
    public void Parse_LegacyFileAndBadFiles_ReadOrRefusedWithReason()
    {
        var legacy = LmEvalResults.Parse("results.json", Utf8(LmEvalFixtures.Legacy));
        Assert.Equal("old/model", legacy.Model);
        Assert.Equal([("acc", 0.57, 0.0049), ("acc_norm", 0.75, 0.0043)], legacy.Scores.OrderBy(s => s.Metric).Select(s => (s.Metric, s.Value, s.Stderr!.Value)));

        Assert.Contains("is not a JSON object", Assert.Throws<ArgumentException>(() => LmEvalResults.Parse("a.json", Utf8("{ not json"))).Message);
        Assert.Contains("has no \"results\" object", Assert.Throws<ArgumentException>(() => LmEvalResults.Parse("b.json", Utf8("""{"samples": []}"""))).Message);
        Assert.Contains("no numeric scores", Assert.Throws<ArgumentException>(() => LmEvalResults.Parse("c.json", Utf8("""{"results": {"x": {"alias": "x"}}}"""))).Message);
    }

    [Fact]
    public void Rows_CheckpointBesideBase_DeltaColouredByHigherIsBetter()
    {
        var base_ = LmEvalResults.Parse("base.json", Utf8(LmEvalFixtures.Results("base", 0.774, 0.507, 9.5, 1))).Scores;
        var checkpoint = LmEvalResults.Parse("ckpt.json", Utf8(LmEvalFixtures.Results("ckpt", 0.659, 0.512, 9.1, 2))).Scores;

        var rows = LmEvalComparison.Rows([base_, checkpoint]);

        var ifeval = rows.Single(r => r.Task == "leaderboard_ifeval" && r.Metric == "prompt_level_strict_acc");
        Assert.Equal(0.659 - 0.774, ifeval.Cells[1].Delta!.Value, 9);
        Assert.Equal(LmEvalChange.Worse, ifeval.Cells[1].Change);
        Assert.Equal(LmEvalChange.Better, rows.Single(r => r.Task == "leaderboard_bbh").Cells[1].Change);
        // Perplexity fell: lower is better there, so that is an improvement.
        Assert.Equal(LmEvalChange.Better, rows.Single(r => r.Metric == "word_perplexity").Cells[1].Change);
        Assert.All(rows, r => Assert.Null(r.Cells[0].Delta));
    }

    [Fact]
    public async Task ImportEndpoint_TwoFilesForOneCheckpoint_NewerFileWinsAndCsvComparesWithBase()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = await app.CreateSignedInClientAsync();
        var baseRun = await PostAsync(client, $"base-{Guid.NewGuid():N}", ("results_a.json", LmEvalFixtures.Results("base/model", 0.774, 0.507, 9.5, 100)));
        var checkpointName = $"ckpt-{Guid.NewGuid():N}";
        var checkpoint = await PostAsync(client, checkpointName,
            ("results_new.json", LmEvalFixtures.Results("ckpt/model", 0.659, 0.512, 9.1, 200)),
            ("results_old.json", LmEvalFixtures.Results("ckpt/model", 0.5, 0.4, 12, 150)));

        var run = (await app.Services.GetRequiredService<SelfLong.Jobs.Evaluation.EvaluationService>().FindAsync(checkpoint.Id, ct))!;
        Assert.Equal((EvaluationKind.LmEval, RunStatus.Succeeded, true, "ckpt/model"), (run.Kind, run.Status, run.Imported, run.Model));
        var scores = await app.Services.GetRequiredService<LmEvalImport>().ScoresAsync(checkpoint.Id, ct);
        Assert.Equal(6, scores.Count);
        Assert.Equal(0.659, scores.Single(s => s.Task == "leaderboard_ifeval" && s.Metric == "prompt_level_strict_acc").Value);
        Assert.Equal("results_new.json", scores.Single(s => s.Task == "leaderboard_bbh").SourceFile);

        var csv = (await client.GetStringAsync($"/api/evaluations/lm-eval.csv?ids={baseRun.Id},{checkpoint.Id}", ct)).Trim().Split('\n');
        Assert.Equal(13, csv.Length);
        Assert.Contains(csv, l => l.StartsWith($"{checkpoint.Id},\"{checkpointName}\",\"leaderboard_ifeval\",\"prompt_level_strict_acc\",\"none\",0.659,0.018,true,") && l.EndsWith(",worse"));

        using var bad = new MultipartFormDataContent { { new ByteArrayContent("[1, 2]"u8.ToArray()), "files", "results_bad.json" } };
        var refused = await client.PostAsync("/api/evaluations/lm-eval", bad, ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("results_bad.json is not a JSON object", await refused.Content.ReadAsStringAsync(ct));

        using var viewer = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);
        using var again = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(LmEvalFixtures.Legacy)), "files", "results.json" } };
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/evaluations/lm-eval", again, ct)).StatusCode);
    }

    [Fact]
    public async Task LmEvalImportVerb_ResultsFiles_PrintsTheStoredScoresAsJson()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(folder, "results_2024.json");
        await File.WriteAllTextAsync(path, LmEvalFixtures.Results("cli/model", 0.7, 0.5, 10, 1), ct);

        var (code, stdout, stderr) = await PerplexityEvaluationTests.SelfLongAsync(app, ["eval", "lm-eval-import", path], ct);

        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("cli/model", root.GetProperty("name").GetString());
        Assert.Equal(6, root.GetProperty("scores").GetInt32());
        Assert.Equal(4, root.GetProperty("tasks").GetInt32());
        var stored = await app.Services.GetRequiredService<LmEvalImport>().ScoresAsync(root.GetProperty("run").GetInt64(), ct);
        Assert.Equal(stored.Select(s => s.Value), root.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("value").GetDouble()));

        (code, stdout, stderr) = await PerplexityEvaluationTests.SelfLongAsync(app, ["eval", "lm-eval-import", Path.Combine(folder, "missing.json")], ct);
        Assert.Equal(2, code);
        Assert.Contains("missing.json", stderr);
        Assert.Equal("", stdout.Trim());
    }

    private static async Task<EvaluationEndpoints.RunDto> PostAsync(HttpClient client, string name, params (string File, string Json)[] files)
    {
        using var form = new MultipartFormDataContent { { new StringContent(name), "name" } };
        foreach (var (file, json) in files) form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(json)), "files", file);
        var response = await client.PostAsync("/api/evaluations/lm-eval", form, TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return (await response.Content.ReadFromJsonAsync<EvaluationEndpoints.RunDto>(TestContext.Current.CancellationToken))!;
    }

    private static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
