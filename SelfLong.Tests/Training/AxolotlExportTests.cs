using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.Training.External;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

/// <summary>
/// A run handed to Axolotl: its stages exported with SelfLong's own tokens and loss rule, and the
/// trainer's output folders (Hugging Face Trainer's layout) read back as the run's loss and checkpoints.
/// </summary>
[NeedsDatabase]
public sealed class AxolotlExportTests(AppFixture app) : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("selflong-axolotl-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task Export_TwoStages_WritesTokensLossMaskConfigsAndLaunch()
    {
        var ct = TestContext.Current.CancellationToken;
        var response = "hehe";
        var id = await CreateRunAsync(WriteData(response), ct);

        var result = await app.Services.GetRequiredService<ExternalTraining>().ExportAsync(id, new AxolotlExportOptions(Gpus: 8, ContextParallel: 4), follow: false, ct);

        Assert.Equal(2, result.Stages.Count);
        var tokenizer = Llama3Tokenizer.Load(BaseFolder);
        foreach (var (stage, length, theta) in new[] { (0, 64, 10_000.0), (1, 128, 40_000.0) })
        {
            var folder = Path.Combine(result.Folder, AxolotlExport.StageFolder(stage));
            var rows = File.ReadAllLines(Path.Combine(folder, AxolotlExport.DataFile)).Select(l => JsonNode.Parse(l)!).ToList();
            // Packing: the rows SelfLong would train (2 steps x batch 2) filled with samples.
            Assert.True(rows.Sum(r => r["input_ids"]!.AsArray().Count) >= 2 * 2 * length);
            Assert.Equal(result.Stages[stage].Samples, rows.Count);
            Assert.True(result.Stages[stage].CutSamples > 0, "the long sample is longer than both stages");
            foreach (var row in rows)
            {
                var ids = row["input_ids"]!.AsArray().Select(n => (int)n!).ToArray();
                var labels = row["labels"]!.AsArray().Select(n => (int)n!).ToArray();
                Assert.InRange(ids.Length, 1, length);
                Assert.Equal(ids.Length, labels.Length);
                Assert.All(labels.Zip(ids), p => Assert.True(p.First == -100 || p.First == p.Second));
                // Cut in the middle of its document, never in the response.
                Assert.Contains(response, tokenizer.Decode(ids));
                var learned = tokenizer.Decode([.. labels.Where(l => l != -100)]);
                Assert.Contains(response, learned);
                if (tokenizer.Decode(ids).Contains("short question")) Assert.DoesNotContain("short question", learned);
            }
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, CheckpointFolder.ConfigFile)))!;
            Assert.Equal(theta, (double)config["rope_theta"]!);
            Assert.Equal(length, (int)config["max_position_embeddings"]!);
            var yaml = File.ReadAllText(Path.Combine(folder, AxolotlExport.ConfigFile));
            Assert.Contains($"sequence_len: {length}", yaml);
            Assert.Contains($"rope_theta: {theta:R}", yaml);
            Assert.Contains("context_parallel_size: 4", yaml);
            Assert.Contains("max_steps: 2", yaml);
            // 8 GPUs in groups of 4: two data-parallel groups share SelfLong's 2 rows a step.
            Assert.Contains("gradient_accumulation_steps: 1", yaml);
            Assert.Contains(stage == 0 ? $"base_model: '{BaseFolder}'" : "base_model: '../stage-1/output'", yaml);
        }
        var launch = File.ReadAllText(result.Launch);
        Assert.Contains("(cd stage-1 && axolotl train axolotl.yaml", launch);
        Assert.Contains("(cd stage-2 && axolotl train axolotl.yaml", launch);
        Assert.True(launch.IndexOf("stage-1", StringComparison.Ordinal) < launch.IndexOf("(cd stage-2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Export_ContextParallelNotDividingTheGpus_RefusedThroughTheApi()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await CreateRunAsync(WriteData("hehe"), ct);
        using var client = await app.CreateSignedInClientAsync();

        var refused = await client.PostAsJsonAsync($"/api/training/runs/{id}/axolotl/export", new { gpus = 6, contextParallel = 4 }, ct);
        var missing = await client.PostAsJsonAsync("/api/training/runs/999999999/axolotl/export", new { gpus = 8 }, ct);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("must divide the GPU count", await refused.Content.ReadAsStringAsync(ct));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Follow_TrainerOutputFolders_ImportsLossAndCheckpointsOnceAndTheyLoad()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await CreateRunAsync(WriteData("hehe"), ct);
        var external = app.Services.GetRequiredService<ExternalTraining>();
        var export = ExternalTraining.ExportFolder(RunFolder);
        // Stage 1 finished (a checkpoint at step 1, the final model), stage 2 saved its first checkpoint.
        var stage1 = Path.Combine(export, "stage-1", "output");
        SaveModel(Path.Combine(stage1, "checkpoint-1"), 10_000, Log((1, 2.5)));
        SaveModel(stage1, 10_000, Log((1, 2.5), (2, 2.25)));
        var stage2 = Path.Combine(export, "stage-2", "output");
        SaveModel(Path.Combine(stage2, "checkpoint-1"), 40_000, Log((1, 2.0)));
        Directory.CreateDirectory(Path.Combine(stage2, "checkpoint-2")); // being written: no weights yet

        var first = await external.FollowAsync(id, ct);
        var again = await external.FollowAsync(id, ct);

        Assert.Equal((3, 3, 1), (first.MetricsAdded, first.CheckpointsAdded, first.StagesFinished));
        Assert.Equal((0, 0, 1), (again.MetricsAdded, again.CheckpointsAdded, again.StagesFinished));
        var runs = app.Services.GetRequiredService<TrainingRunService>();
        var metrics = await runs.MetricsAsync(id, ct: ct);
        Assert.Equal([(1, 0, 2.5), (2, 0, 2.25), (3, 1, 2.0)], metrics.OrderBy(m => m.GlobalStep).Select(m => (m.GlobalStep, m.Stage, m.Loss)));
        var run = (await runs.FindAsync(id, ct))!;
        var checkpoints = run.Checkpoints.OrderBy(c => c.GlobalStep).ThenBy(c => c.StageEnd).ToList();
        Assert.Equal([(1, 0, false, 10_000.0, 64), (2, 0, true, 10_000.0, 64), (3, 1, false, 40_000.0, 128)],
            checkpoints.Select(c => (c.GlobalStep, c.Stage, c.StageEnd, c.RopeTheta, c.MaxLength)));
        Assert.Equal(3, run.CurrentStep);
        // Ready to evaluate: the imported folder opens as a local checkpoint with its tokenizer.
        using (var loaded = LocalCheckpoint.Load(checkpoints[1].Path))
        {
            Assert.Equal(10_000, loaded.RopeTheta);
            Assert.Equal([256], loaded.Encode("he"));
        }

        SaveModel(stage2, 40_000, Log((1, 2.0), (2, 1.75)));
        var last = await external.FollowAsync(id, ct);
        Assert.Equal((1, 1, 2), (last.MetricsAdded, last.CheckpointsAdded, last.StagesFinished));
    }

    private string BaseFolder => Path.Combine(root, "base");

    /// <summary>Created for an external trainer, as the dialog, the API and `train --external` create it: stored, never queued.</summary>
    private async Task<long> CreateRunAsync(string dataFile, CancellationToken ct)
    {
        var run = await AxolotlFixtures.CreateExternalRunAsync(app, BaseFolder, dataFile, ct);
        RunFolder = run.OutputDirectory;
        return run.Id;
    }

    private string RunFolder { get; set; } = "";

    private string WriteData(string response) => AxolotlFixtures.WriteData(root, response);

    private static JsonObject Log(params (int Step, double Loss)[] entries) => AxolotlFixtures.Log(entries);

    private static void SaveModel(string dir, double theta, JsonObject? log) => AxolotlFixtures.SaveModel(dir, theta, log);
}
