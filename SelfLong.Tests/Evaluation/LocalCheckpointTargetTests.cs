using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Evaluation.Targets;
using SelfLong.Jobs.Models;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Evaluation;

[NeedsDatabase]
public sealed class LocalCheckpointTargetTests(AppFixture app) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("selflong-ckpt-").FullName;

    private string SaveTinyCheckpoint(int maxPositions)
    {
        using var model = new LlamaForCausalLM(SelfLongTiny.Config(maxPositions: maxPositions, hidden: 32, layers: 1));
        CheckpointFolder.Save(model, folder);
        ByteTokenizer.WriteMarker(folder);
        return folder;
    }

    [Fact]
    public void Open_CheckpointFolder_UsesItsTokenizerAndTrainedLength()
    {
        var dir = SaveTinyCheckpoint(maxPositions: 512);
        using var target = new LocalCheckpointTargets().Open(dir, maxLength: 0);
        Assert.Equal(512, target.MaxLength);
        Assert.Equal(5, target.CountTokens("whale"));
        Assert.True(target.TemplateTokens > 0);
        Assert.Contains("rope_theta", target.Describe());
    }

    [Fact]
    public void Open_MissingFolder_SaysWhich()
    {
        var missing = Path.Combine(folder, "nope");
        var error = Assert.Throws<DirectoryNotFoundException>(() => new LocalCheckpointTargets().Open(missing, 0));
        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public async Task NiahRun_LocalCheckpoint_RunsCellsUpToMaxLengthInProcess()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = SaveTinyCheckpoint(maxPositions: 512);
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var target = new EvaluationTargetRequest(EvaluationTargetKind.LocalCheckpoint, dir, "selflong-tiny", null, "llama-3", MaxLength: 800);
        var run = await evaluations.CreateNiahAsync($"local-{Guid.NewGuid():N}", target,
            new NiahSettings { Lengths = [400, 700, 1000], Depths = [0, 100] }, ct);

        run = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);
        var cells = await evaluations.NiahCellsAsync(run.Id, ct);
        Assert.Equal(4, cells.Count);
        Assert.DoesNotContain(cells, c => c.ContextLength == 1000);
        Assert.All(cells, c => Assert.InRange(c.Score, 0, 1));
        Assert.All(cells, c => Assert.True(c.PromptTokens <= c.ContextLength, $"{c.PromptTokens} > {c.ContextLength}"));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
