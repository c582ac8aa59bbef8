using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Evaluation.Perplexity;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Evaluation;

/// <summary>A grid with nothing within the target's maximum is refused when created, not run as "0 / 0".</summary>
[NeedsDatabase]
public sealed class EvaluationReachTests(AppFixture app) : IDisposable
{
    private const string Reason = "is longer than the target's maximum length of 2000 tokens";
    private readonly string folder = Directory.CreateTempSubdirectory("selflong-reach-").FullName;

    private static EvaluationTargetRequest Endpoint(int maxLength) =>
        new(EvaluationTargetKind.OpenAiCompletions, "http://127.0.0.1:9/v1", "m", null, "none", maxLength);

    [Fact]
    public async Task CreateNiah_EveryLengthPastMaximum_RefusedWithReasonAndNothingStored()
    {
        var ct = TestContext.Current.CancellationToken;
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var name = $"reach-niah-{Guid.NewGuid():N}";

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            evaluations.CreateNiahAsync(name, Endpoint(2000), new NiahSettings { Lengths = [4000, 3000] }, ct));

        Assert.Contains($"Every context length (3000, 4000) {Reason}", error.Message);
        Assert.Equal(0, await CountAsync(name, ct));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            evaluations.CreateNiahAsync(name, Endpoint(2000), new NiahSettings { Lengths = [1000], Depths = [] }, ct));
        Assert.Equal(0, await CountAsync(name, ct));
    }

    [Fact]
    public async Task CreateRuler_LengthsPastMaximum_RefusedWithReason()
    {
        var ct = TestContext.Current.CancellationToken;
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var name = $"reach-ruler-{Guid.NewGuid():N}";

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            evaluations.CreateRulerAsync(name, Endpoint(2000), new RulerSettings { Tasks = ["niah_single_1"], Lengths = [4096], Samples = 1 }, ct));

        Assert.Contains($"Every RULER length (4096) {Reason}", error.Message);
        error = await Assert.ThrowsAsync<ArgumentException>(() =>
            evaluations.CreateRulerAsync(name, Endpoint(8192), new RulerSettings { Tasks = [], Lengths = [4096] }, ct));
        Assert.Contains("at least one RULER task", error.Message);
        Assert.Equal(0, await CountAsync(name, ct));
    }

    [Fact]
    public async Task CreateRuler_TaskTemplateLongerThanEveryLengthInReach_RefusedNamingTaskAndLengths()
    {
        var ct = TestContext.Current.CancellationToken;
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var name = $"reach-fit-{Guid.NewGuid():N}";
        // In bytes, cwe's few-shot example alone is longer than 1024; niah_single_1 fits there.
        var bytes = Endpoint(8192) with { Tokenizer = "bytes" };

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            evaluations.CreateRulerAsync(name, bytes, new RulerSettings { Tasks = ["cwe"], Lengths = [1024, 9000], Samples = 1 }, ct));
        Assert.Contains("No chosen RULER task fits any length within the target's reach (cwe at 1024 bytes)", error.Message);

        error = await Assert.ThrowsAsync<ArgumentException>(() =>
            evaluations.CreateRulerAsync(name, bytes, new RulerSettings { Tasks = ["niah_single_1", "cwe"], Lengths = [1024, 8192], Samples = 1 }, ct));
        Assert.Contains("Some RULER tasks do not fit some lengths (cwe at 1024 bytes)", error.Message);
        Assert.Equal(0, await CountAsync(name, ct));

        // Every task fits every length in reach: created.
        var run = await evaluations.CreateRulerAsync(name, bytes, new RulerSettings { Tasks = ["niah_single_1", "cwe"], Lengths = [8192], Samples = 1 }, ct, enqueue: false);
        Assert.Equal(2, run.TotalItems);
    }

    [Fact]
    public async Task CreatePerplexity_LengthsPastMaximum_RefusedWithReasonInBytes()
    {
        var ct = TestContext.Current.CancellationToken;
        PerplexityEvaluationTests.SaveTinyCheckpoint(folder, maxPositions: 16, seed: 35);
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var target = PerplexityEvaluationTests.Local(folder) with { MaxLength = 16, Tokenizer = "bytes" };

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            evaluations.CreatePerplexityAsync($"reach-ppl-{Guid.NewGuid():N}", target, new PerplexitySettings { Lengths = [32, 64] }, ct));

        Assert.Contains("Every context length (32, 64) is longer than the target's maximum length of 16 bytes", error.Message);
    }

    [Fact]
    public async Task EvalNiahVerb_EveryLengthPastMaximum_ExitsTwoWithReasonOnStandardError()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = $"reach-cli-{Guid.NewGuid():N}";

        var (code, stdout, stderr) = await PerplexityEvaluationTests.SelfLongAsync(app,
            ["eval", "niah", "--url", "http://127.0.0.1:9/v1", "--model", "m", "--max-length", "2000", "--lengths", "3000,4000", "--name", name], ct);

        Assert.Equal(2, code);
        Assert.Contains(Reason, stderr);
        Assert.Equal("", stdout.Trim());
        Assert.Equal(0, await CountAsync(name, ct));
    }

    private async Task<int> CountAsync(string name, CancellationToken ct)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct);
        return await db.EvaluationRuns.CountAsync(r => r.Name == name, ct);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
