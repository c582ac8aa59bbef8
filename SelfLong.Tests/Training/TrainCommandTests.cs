using Microsoft.Extensions.DependencyInjection;
using System.CommandLine;
using System.Text.Json;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;
using SelfLong.Tests.Synthesis;

namespace SelfLong.Tests.Training;

/// <summary>`./selflong train` parsed and run in-process against the suite app's database.</summary>
[NeedsDatabase]
public sealed class TrainCommandTests(AppFixture app) : IDisposable
{
    private readonly string output = Directory.CreateTempSubdirectory("selflong-cli-train-").FullName;

    public void Dispose() => Directory.Delete(output, recursive: true);

    private async Task<(int Code, string Out, string Error)> TrainAsync(params string[] args)
    {
        var root = new RootCommand { TrainingCommands.Train(b => b.Configuration["ConnectionStrings:SelfLong"] = app.ConnectionString) };
        var configuration = new InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() };
        // The verb's host takes over Hangfire's process-wide log provider: the suite app gets it back after.
        using var restore = new HangfireLogRestore(app.Services);
        var code = await root.Parse(["train", "--output", output, .. args]).InvokeAsync(configuration, TestContext.Current.CancellationToken);
        return (code, configuration.Output.ToString()!, configuration.Error.ToString()!);
    }

    [Fact]
    public async Task Train_CorpusText_TrainsOnTheCorpusAndSavesShardedCheckpoint()
    {
        var (corpusId, _) = await app.HandMadeAsync();

        var (code, stdout, error) = await TrainAsync("--corpus-text", $"{corpusId}:2", "--stages", "16:100:2:1e-3", "--batch-size", "2",
            "--warmup", "1", "--max-shard-size", "16KiB");

        Assert.True(code == 0, error);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([1, 2], lines.Where(l => l.TryGetProperty("step", out _)).Select(l => l.GetProperty("step").GetInt32()));
        var checkpoint = Assert.Single(lines, l => l.TryGetProperty("checkpoint", out _)).GetProperty("checkpoint").GetString()!;
        Assert.True(File.Exists(Path.Combine(checkpoint, CheckpointFolder.IndexFile)));
        using var model = CheckpointFolder.Load(checkpoint);
        Assert.Equal(16, model.Config.MaxPositionEmbeddings);
    }

    [Fact]
    public async Task Train_ByIds_UploadedDataFileAndTrainingCheckpointAsBase_TrainsFromThatCheckpointOnThatFile()
    {
        var upload = string.Join('\n', TrainingTestData.Patterns().Select(s => JsonSerializer.Serialize(new { text = s.Response })));
        var file = await app.Services.GetRequiredService<SelfLong.Jobs.Training.DataFiles.TrainingDataFiles>()
            .AddAsync("cli.jsonl", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(upload)), TestContext.Current.CancellationToken);
        using var checkpoint = new TinyCheckpoint(maxPositions: 256);
        var picked = new SelfLong.Data.Training.TrainingCheckpoint { Path = checkpoint.Folder, GlobalStep = 3, Stage = 0, StageEnd = true, RopeTheta = 10_000, MaxLength = 256 };
        await using (var db = await app.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<SelfLong.Data.SelfLongDbContext>>()
            .CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            var run = new SelfLong.Data.Training.TrainingRun
            {
                Name = $"cli-base-{Guid.NewGuid():N}", SpecJson = "{}", OutputDirectory = Path.GetDirectoryName(checkpoint.Folder)!, Status = SelfLong.Data.Runs.RunStatus.Succeeded,
            };
            run.Checkpoints.Add(picked);
            db.TrainingRuns.Add(run);
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        var (code, stdout, error) = await TrainAsync("--base-checkpoint", $"{picked.Id}", "--data-file", $"{file.Id}:2",
            "--stages", "32:40000:2:1e-3", "--batch-size", "2", "--warmup", "1");

        Assert.True(code == 0, error);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([1, 2], lines.Where(l => l.TryGetProperty("step", out _)).Select(l => l.GetProperty("step").GetInt32()));
        using var trained = CheckpointFolder.Load(Assert.Single(lines, l => l.TryGetProperty("checkpoint", out _)).GetProperty("checkpoint").GetString()!);
        // The base's own width (TinyCheckpoint's), not SelfLong-Tiny from scratch.
        using var based = CheckpointFolder.Load(checkpoint.Folder);
        Assert.Equal((based.Config.HiddenSize, based.Config.NumHiddenLayers), (trained.Config.HiddenSize, trained.Config.NumHiddenLayers));

        (code, _, error) = await TrainAsync("--base-checkpoint", "987654321", "--data-file", $"{file.Id}", "--stages", "32:40000:2:1e-3");
        Assert.Equal((2, "There is no training checkpoint #987654321; pick one from the list."), (code, error.Trim()));
        (code, _, error) = await TrainAsync("--data-file", "987654321", "--stages", "32:40000:2:1e-3");
        Assert.Equal((2, "Uploaded data file #987654321 does not exist."), (code, error.Trim()));
        (code, _, error) = await TrainAsync("--base", "tiny", "--base-checkpoint", $"{picked.Id}", "--data-file", $"{file.Id}", "--stages", "32:40000:2:1e-3");
        Assert.Equal((2, "Give --base or --base-checkpoint, not both."), (code, error.Trim()));
    }

    [Fact]
    public async Task Train_NeedleDrillsOnly_TrainsWithTheDrillsAsItsOnlyData()
    {
        var (corpusId, _) = await app.HandMadeAsync();

        // Drills are the only data: the run trains only if they were made and mixed in. That their
        // haystacks are the corpus's text is NeedleDrillSourceTests' to check.
        var (code, stdout, error) = await TrainAsync("--needle-drills", $"{corpusId}:6", "--stages", "256:100:2:1e-3", "--batch-size", "2", "--warmup", "1");

        Assert.True(code == 0, error);
        AssertTwoFiniteSteps(stdout);

        (code, _, error) = await TrainAsync("--needle-drills", "987654321", "--stages", "256:100:2:1e-3");
        Assert.Equal(2, code);
        Assert.Contains("Corpus #987654321 does not exist.", error);
    }

    [Fact]
    public async Task Train_RulerDrillsOnly_TrainsOnThemAtTheStageThatHoldsATemplate()
    {
        var (corpusId, _) = await app.HandMadeAsync();

        // RULER drills are the only data; the 256-token stage holds no template and takes none, so
        // it would find nothing to learn: only the 1024-token stage is given.
        var (code, stdout, error) = await TrainAsync("--ruler-drills", $"{corpusId}", "--stages", "1024:100:2:1e-3", "--batch-size", "1", "--warmup", "1");

        Assert.True(code == 0, error);
        AssertTwoFiniteSteps(stdout);
    }

    [Fact]
    public async Task Train_CheckpointedLayersInBfloat16OnCpu_TrainsAndRefusesAnUnknownDtype()
    {
        var (corpusId, _) = await app.HandMadeAsync();

        // 64-token stage above a 16-token threshold: every layer is recomputed in backward.
        var (code, stdout, error) = await TrainAsync("--corpus-text", $"{corpusId}", "--stages", "64:100:2:1e-3", "--batch-size", "2",
            "--warmup", "1", "--checkpoint-above", "16", "--dtype", "bfloat16");

        Assert.True(code == 0, error);
        var losses = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.TryGetProperty("step", out _)).Select(l => l.GetProperty("loss").GetDouble()).ToList();
        Assert.Equal(2, losses.Count);
        Assert.All(losses, l => Assert.True(double.IsFinite(l) && l > 0));

        (code, _, error) = await TrainAsync("--corpus-text", $"{corpusId}", "--stages", "64:100:2:1e-3", "--dtype", "float16");
        Assert.Equal(2, code);
        Assert.Contains("CPU dtype 'float16' is not float32 or bfloat16.", error);
    }

    [Fact]
    public async Task Train_UnknownCorpus_ExitsWithTheCorpusNamed()
    {
        var (code, stdout, error) = await TrainAsync("--corpus-text", "987654321", "--stages", "16:100:2:1e-3");

        Assert.Equal(2, code);
        Assert.Contains("Corpus #987654321 does not exist.", error);
        Assert.Empty(stdout);
        Assert.False(Directory.Exists(Path.Combine(output, ProgressiveTrainer.CheckpointsFolder)));
    }

    [Fact]
    public async Task Train_CorpusWithoutText_SaysToIngestFirst()
    {
        var (empty, errors) = await app.Services.GetRequiredService<CorpusService>()
            .CreateAsync(new CorpusSettings { Name = $"empty {Guid.NewGuid():N}"[..20] }, TestContext.Current.CancellationToken);
        Assert.Empty(errors);

        var (code, _, error) = await TrainAsync("--corpus-text", $"{empty!.Id}", "--stages", "16:100:2:1e-3");

        Assert.Equal(2, code);
        Assert.Contains($"Corpus #{empty.Id} has no text yet", error);
    }

    [Fact]
    public async Task Train_StageOneAtTheBasesLength_WarnsOnStandardErrorAndTrains()
    {
        var baseFolder = Path.Combine(output, "base");
        using (var model = new LlamaForCausalLM(SelfLongTiny.Config(maxPositions: 16, ropeTheta: 100, hidden: 32, layers: 1)))
            CheckpointFolder.Save(model, baseFolder);
        ByteTokenizer.WriteMarker(baseFolder);
        var data = Path.Combine(output, "d.jsonl");
        File.WriteAllLines(data, TrainingTestData.Patterns().Select(s => JsonSerializer.Serialize(new { text = s.Response })));

        var (code, stdout, error) = await TrainAsync("--base", baseFolder, "--data", data, "--stages", "16:100:1:1e-3", "--batch-size", "1", "--warmup", "1");

        Assert.True(code == 0, error);
        Assert.Contains("warning: Stage 1 (16 tokens) is not longer than the base model's max_position_embeddings (16)", error);
        Assert.Contains("stage 1: 16 tokens x 1, theta 100, estimated", error);
        Assert.DoesNotContain("warning", stdout);
    }

    [Fact]
    public async Task Train_EstimateOverTheDeviceMemory_RefusesWithTheFigureBeforeTraining()
    {
        var data = Path.Combine(output, "d.jsonl");
        File.WriteAllLines(data, TrainingTestData.Patterns().Select(s => JsonSerializer.Serialize(new { text = s.Response })));

        var (code, stdout, error) = await TrainAsync("--preset", "from-base", "--stage-count", "2", "--steps", "1", "--device-memory", "60MiB", "--data", data);

        Assert.Equal(2, code);
        Assert.Contains("stage 2: 1,024 tokens x 4, theta 160000, estimated", error);
        Assert.Contains("Stage 2 (1,024 tokens x batch 4) needs an estimated", error);
        Assert.Contains("has 60 MiB", error);
        Assert.DoesNotContain("Stage 1 (", error);
        Assert.Empty(stdout);
        Assert.False(Directory.Exists(Path.Combine(output, ProgressiveTrainer.CheckpointsFolder)));
    }

    [Fact]
    public async Task Estimate_Llama32OneBillionShape_PrintsOneJsonObjectWithTheFigures()
    {
        var root = new RootCommand { MemoryEstimateCommand.Command() };
        var configuration = new InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() };

        var code = await root.Parse(["estimate", "--shape", "llama-3.2-1b", "--device", "cuda", "--device-memory", "141GB", "--lengths", "32k,1024k"])
            .InvokeAsync(configuration, TestContext.Current.CancellationToken);

        Assert.True(code == 0, configuration.Error.ToString());
        var report = JsonDocument.Parse(configuration.Output.ToString()!).RootElement;
        Assert.Equal(1_235_814_400L, report.GetProperty("parameters").GetInt64());
        Assert.True(report.GetProperty("bf16").GetBoolean());
        Assert.Equal([(32_768, true), (1_048_576, false)],
            report.GetProperty("rows").EnumerateArray().Select(r => (r.GetProperty("length").GetInt32(), r.GetProperty("fits").GetBoolean())));
    }

    [Theory]
    [InlineData("--corpus-text", "moby", "'moby' is not a corpus id")]
    [InlineData("--needle-drills", "moby", "'moby' is not a corpus id for needle drills")]
    [InlineData("--needle-drills", "987654321", "Stage length 16 is too short for a needle drill")]
    [InlineData("--ruler-drills", "moby", "'moby' is not a corpus id for RULER drills")]
    [InlineData("--ruler-drills", "987654321", "No stage is long enough for a RULER task's template (the longest is 16 tokens)")]
    [InlineData("--corpus-text", "3:-1", "Corpus #3: weight must be positive.")]
    [InlineData("--max-shard-size", "huge", "'huge' is not a shard size")]
    [InlineData("--preset", "paper", "Give one of --stages, --preset or --paper-rule.")]
    [InlineData("--device-memory", "lots", "'lots' is not a memory size")]
    public async Task Train_BadOption_ExitsWithAMessage(string option, string value, string message)
    {
        var (code, _, error) = await TrainAsync(option, value, "--stages", "16:100:2:1e-3");

        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }

    /// <summary>`train` printed steps 1 and 2, each with a finite loss.</summary>
    private static void AssertTwoFiniteSteps(string stdout)
    {
        var steps = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.TryGetProperty("step", out _)).ToList();
        Assert.Equal([1, 2], steps.Select(l => l.GetProperty("step").GetInt32()));
        Assert.All(steps, s => Assert.True(double.IsFinite(s.GetProperty("loss").GetDouble())));
    }
}
