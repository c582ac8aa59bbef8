using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using static TorchSharp.torch;

namespace SelfLong.Tests.Models;

public sealed class PerplexityTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("selflong-ppl-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void TokenNlls_AcrossLogitChunks_EqualsLogSoftmaxOfOneFullForward()
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        using var model = new LlamaForCausalLM(SelfLongTiny.Config(maxPositions: 700, hidden: 32, layers: 2));
        var ids = Enumerable.Range(0, 600).Select(i => (i * 37) % 256).ToList();

        var nlls = Perplexity.TokenNlls(model, ids);

        using var _ = no_grad();
        var logits = model.Forward(tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count]))[0]; // (T, V)
        var logp = nn.functional.log_softmax(logits, -1).data<float>().ToArray();
        Assert.Equal(599, nlls.Length);
        for (var i = 0; i < 599; i++) Assert.Equal(-logp[i * ByteTokenizer.Size + ids[i + 1]], nlls[i], 1e-4);
    }

    [Fact]
    public async Task PerplexityReport_TokenIdFile_AgreesWithCheckpointNllsAndCutsAtMaxLength()
    {
        manual_seed(22);
        using (var model = new LlamaForCausalLM(SelfLongTiny.Config(maxPositions: 64, hidden: 32, layers: 2)))
        {
            CheckpointFolder.Save(model, dir);
            ByteTokenizer.WriteMarker(dir);
        }
        var idsFile = Path.Combine(dir, "ids.json");
        var ids = Enumerable.Range(0, 100).Select(i => 97 + i % 26).ToList();
        await File.WriteAllTextAsync(idsFile, System.Text.Json.JsonSerializer.Serialize(ids), TestContext.Current.CancellationToken);

        var report = await TrainingCommands.PerplexityReportAsync(dir, null, idsFile, 40, TestContext.Current.CancellationToken);

        using var checkpoint = LocalCheckpoint.Load(dir, CPU);
        var expected = checkpoint.TokenNlls(ids[..40]).Average();
        Assert.Equal(40, report.Tokens);
        Assert.Equal(expected, report.MeanNll, 1e-9);
        Assert.Equal(Math.Exp(expected), report.Perplexity, 1e-6);
        // Past max_position_embeddings (64) scoring still runs: that is the extrapolation measurement.
        var beyond = await TrainingCommands.PerplexityReportAsync(dir, null, idsFile, 100, TestContext.Current.CancellationToken);
        Assert.Equal(100, beyond.Tokens);
        Assert.True(double.IsFinite(beyond.MeanNll));
    }

    [Fact]
    public async Task PerplexityReport_TokenIdsOnAFolderWithoutTokenizer_NeedsNone()
    {
        manual_seed(23);
        using (var model = new LlamaForCausalLM(SelfLongTiny.Config(maxPositions: 64, hidden: 32, layers: 2)))
            CheckpointFolder.Save(model, dir);
        var idsFile = Path.Combine(dir, "ids.txt");
        await File.WriteAllTextAsync(idsFile, string.Join(' ', Enumerable.Range(0, 30).Select(i => 97 + i % 26)), TestContext.Current.CancellationToken);

        var report = await TrainingCommands.PerplexityReportAsync(dir, null, idsFile, null, TestContext.Current.CancellationToken);

        Assert.Equal(30, report.Tokens);
        Assert.True(double.IsFinite(report.MeanNll) && report.MeanNll > 0);
        var textFile = Path.Combine(dir, "text.txt");
        await File.WriteAllTextAsync(textFile, "call me Ishmael", TestContext.Current.CancellationToken);
        // Text still needs the tokenizer, and says so.
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => TrainingCommands.PerplexityReportAsync(dir, textFile, null, null, TestContext.Current.CancellationToken));
        Assert.Contains("has no tokenizer", error.Message);
    }
}
