using System.CommandLine;
using System.Text.Json;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;
using SelfLong.Tests.Synthesis;

namespace SelfLong.Tests.Training;

/// <summary>`./selflong train` parsed and run in-process against the suite app's database.</summary>
public sealed class TrainCommandTests(AppFixture app) : IDisposable
{
    private readonly string output = Directory.CreateTempSubdirectory("selflong-cli-train-").FullName;

    public void Dispose() => Directory.Delete(output, recursive: true);

    private async Task<(int Code, string Out, string Error)> TrainAsync(params string[] args)
    {
        var root = new RootCommand { TrainingCommands.Train(b => b.Configuration["ConnectionStrings:SelfLong"] = app.ConnectionString) };
        var configuration = new InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() };
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
    public async Task Train_NeedleDrillsOnly_TrainsOnDrillsCutFromTheCorpus()
    {
        var (corpusId, _) = await app.HandMadeAsync();

        // Drills are the only data: the run trains only if they were cut from the corpus and mixed in.
        var (code, stdout, error) = await TrainAsync("--needle-drills", $"{corpusId}:6", "--stages", "256:100:2:1e-3", "--batch-size", "2", "--warmup", "1");

        Assert.True(code == 0, error);
        var steps = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.TryGetProperty("step", out _)).ToList();
        Assert.Equal([1, 2], steps.Select(l => l.GetProperty("step").GetInt32()));
        Assert.All(steps, s => Assert.True(double.IsFinite(s.GetProperty("loss").GetDouble())));

        (code, _, error) = await TrainAsync("--needle-drills", "987654321", "--stages", "256:100:2:1e-3");
        Assert.Equal(2, code);
        Assert.Contains("Corpus #987654321 does not exist.", error);
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

    [Theory]
    [InlineData("--corpus-text", "moby", "'moby' is not a corpus id")]
    [InlineData("--needle-drills", "moby", "'moby' is not a corpus id for needle drills")]
    [InlineData("--needle-drills", "987654321", "Stage length 16 is too short for a needle drill")]
    [InlineData("--corpus-text", "3:-1", "Corpus #3: weight must be positive.")]
    [InlineData("--max-shard-size", "huge", "'huge' is not a shard size")]
    public async Task Train_BadOption_ExitsWithAMessage(string option, string value, string message)
    {
        var (code, _, error) = await TrainAsync(option, value, "--stages", "16:100:2:1e-3");

        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }
}
