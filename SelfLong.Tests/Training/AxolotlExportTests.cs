using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Runs;
using SelfLong.Data.Training;
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

    private string RunFolder => Path.Combine(root, "run");

    private async Task<long> CreateRunAsync(string dataFile, CancellationToken ct)
    {
        SaveModel(BaseFolder, 10_000, log: null);
        var spec = new TrainingRunSpec
        {
            Base = BaseFolder,
            Data = [new DataFileSpec(dataFile)],
            Stages = [new TrainingStage(64, 10_000, 2, 1e-3), new TrainingStage(128, 40_000, 2, 5e-4)],
            Options = TrainingTestData.Options(),
        };
        var factory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        // Stored, not queued: the export is what trains it.
        var run = new TrainingRun { Name = $"axolotl-{Guid.NewGuid():N}", SpecJson = spec.ToJson(), OutputDirectory = RunFolder, Status = RunStatus.Cancelled };
        db.TrainingRuns.Add(run);
        await db.SaveChangesAsync(ct);
        return run.Id;
    }

    /// <summary>A short chat sample and one whose document is longer than every stage.</summary>
    private string WriteData(string response)
    {
        var path = Path.Combine(root, "data.jsonl");
        string Line(string user, bool isLong) => JsonSerializer.Serialize(new
        {
            messages = new object[] { new { role = "user", content = user }, new { role = "assistant", content = response } },
            is_long = isLong,
        });
        File.WriteAllLines(path, [Line("a short question", false), Line(string.Concat(Enumerable.Repeat("the whale and the sea. ", 40)) + "Answer briefly.", true)]);
        return path;
    }

    private static JsonObject Log(params (int Step, double Loss)[] entries) => new()
    {
        ["global_step"] = entries[^1].Step,
        ["log_history"] = new JsonArray([.. entries.Select(e => (JsonNode)new JsonObject { ["epoch"] = 0.1, ["grad_norm"] = 1.5, ["learning_rate"] = 1e-4, ["loss"] = e.Loss, ["step"] = e.Step })]),
    };

    /// <summary>A Hugging Face folder as the trainer saves it: config, safetensors, tokenizer and (for checkpoints) trainer_state.json.</summary>
    private static void SaveModel(string dir, double theta, JsonObject? log)
    {
        var config = SelfLongTiny.Config(maxPositions: 64, ropeTheta: theta, hidden: 16, layers: 1);
        config.VocabSize = 262;
        using (var model = new LlamaForCausalLM(config))
            CheckpointFolder.Save(model, dir, config);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), TokenizerJson());
        if (log is not null) File.WriteAllText(Path.Combine(dir, "trainer_state.json"), log.ToJsonString());
    }

    /// <summary>A byte-level BPE tokenizer.json: 256 byte tokens, one merge ("he"), Llama-3's chat specials.</summary>
    private static string TokenizerJson()
    {
        var vocab = new JsonObject();
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 12)).Concat(Enumerable.Range(0xAE, 0x100 - 0xAE)).ToHashSet();
        var extra = 0;
        for (var b = 0; b < 256; b++) vocab[((char)(printable.Contains(b) ? b : 256 + extra++)).ToString()] = b;
        vocab["he"] = 256;
        string[] specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];
        var added = new JsonArray([.. specials.Select((s, i) => (JsonNode)new JsonObject { ["id"] = 257 + i, ["content"] = s, ["special"] = true })]);
        return new JsonObject { ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab }, ["added_tokens"] = added }.ToJsonString();
    }
}
