using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Perplexity;
using SelfLong.Jobs.Models;
using SelfLong.Tests.Infrastructure;
using static TorchSharp.torch;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Evaluation;

[NeedsDatabase]
public sealed class PerplexityEvaluationTests(AppFixture app) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("selflong-ppl-eval-").FullName;

    /// <summary>A random SelfLong-Tiny (byte tokenizer) saved as a checkpoint folder.</summary>
    internal static string SaveTinyCheckpoint(string folder, int maxPositions, int seed) =>
        Synthesis.TinyCheckpoint.Save(folder, maxPositions, seed, layers: 2);

    internal static EvaluationTargetRequest Local(string folder) =>
        new(EvaluationTargetKind.LocalCheckpoint, folder, "selflong-tiny", null, "none", MaxLength: 100_000);

    [Fact]
    public void Measure_TinyRandomCheckpoint_EqualsCrossEntropyComputedFromLogits()
    {
        SaveTinyCheckpoint(folder, maxPositions: 16, seed: 31);
        using var checkpoint = LocalCheckpoint.Load(folder, CPU);
        var heldOut = checkpoint.Encode("Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse.");
        const int length = 24, windows = 3;

        var point = PerplexityByLength.Measure(checkpoint, heldOut, length, windows, firstBucket: 4, TestContext.Current.CancellationToken);

        // Independently: each window is begin-of-text plus 24 tokens; cross-entropy of logits[t] against token t + 1.
        using var scope = NewDisposeScope();
        using var model = CheckpointFolder.Load(folder, CPU, ScalarType.Float32);
        using var _ = no_grad();
        var perPosition = new double[length];
        for (var w = 0; w < windows; w++)
        {
            long[] window = [ByteTokenizer.Instance.Chat.BeginOfText, .. heldOut.Skip(w * length).Take(length).Select(i => (long)i)];
            var input = tensor(window, [1, window.Length]);
            var logits = model.Forward(input)[0];                                              // (25, V)
            var loss = nn.functional.cross_entropy(logits.narrow(0, 0, length), input[0].narrow(0, 1, length), reduction: nn.Reduction.None);
            var values = loss.to_type(ScalarType.Float64).data<double>().ToArray();            // (24)
            for (var i = 0; i < length; i++) perPosition[i] += values[i] / windows;
        }
        Assert.Equal(windows, point.Windows);
        Assert.Equal(windows * length, point.Tokens);
        Assert.Equal(perPosition.Average(), point.MeanNll, 1e-5);
        Assert.Equal(Math.Exp(perPosition.Average()), point.Perplexity, 1e-4);
        Assert.Equal([(0, 4), (4, 8), (8, 16), (16, 24)], point.Buckets.Select(b => (b.From, b.To)));
        foreach (var b in point.Buckets) Assert.Equal(perPosition[b.From..b.To].Average(), b.MeanNll, 1e-5);
        // A random byte-level model is near-uniform over its 256 symbols: perplexity in the hundreds, not 1.
        Assert.InRange(point.Perplexity, 50, 2000);
    }

    [Fact]
    public void Measure_TextShorterThanLength_SaysWhatToDo()
    {
        SaveTinyCheckpoint(folder, maxPositions: 16, seed: 32);
        using var checkpoint = LocalCheckpoint.Load(folder, CPU);
        var error = Assert.Throws<InvalidOperationException>(() => PerplexityByLength.Measure(checkpoint, checkpoint.Encode("too short"), 64, 2, 8, TestContext.Current.CancellationToken));
        Assert.Contains("9 tokens", error.Message);
        Assert.Contains("shorter lengths", error.Message);
    }

    [Fact]
    public async Task PerplexityRun_DefaultLengths_StoredPerLengthAndResumeSkipsScoredLengths()
    {
        var ct = TestContext.Current.CancellationToken;
        SaveTinyCheckpoint(folder, maxPositions: 32, seed: 33);
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreatePerplexityAsync($"ppl-{Guid.NewGuid():N}", Local(folder), new PerplexitySettings { Windows = 2 }, ct);
        Assert.Equal(EvaluationKind.Perplexity, run.Kind);
        Assert.Equal(32, run.TrainingLength);
        Assert.Equal([32, 64, 128], EvaluationJsonOf(run).Lengths);

        run = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);
        var rows = await evaluations.PerplexityLengthsAsync(run.Id, ct);
        Assert.Equal([32, 64, 128], rows.Select(r => r.ContextLength));
        Assert.Equal((3, 3), (run.DoneItems, run.TotalItems));
        using (var checkpoint = LocalCheckpoint.Load(folder, CPU))
        {
            var heldOut = checkpoint.Encode(HeldOutText.Bundled());
            foreach (var row in rows)
            {
                var expected = PerplexityByLength.Measure(checkpoint, heldOut, row.ContextLength, 2, firstBucket: 16, ct);
                Assert.Equal(expected.MeanNll, row.MeanNll, 1e-6);
                Assert.Equal(2 * row.ContextLength, row.Tokens);
                Assert.Equal(expected.Buckets.Select(b => b.To), row.BucketEnds);
                Assert.Equal(expected.Buckets.Select(b => b.MeanNll), row.BucketMeanNlls, (a, b) => Math.Abs(a - b) < 1e-6);
            }
        }

        // Mark one scored length and drop another: a resumed run scores only the dropped one.
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct))
        {
            await db.PerplexityLengths.Where(p => p.RunId == run.Id && p.ContextLength == 64).ExecuteUpdateAsync(s => s.SetProperty(p => p.MeanNll, 42.0), ct);
            await db.PerplexityLengths.Where(p => p.RunId == run.Id && p.ContextLength == 128).ExecuteDeleteAsync(ct);
        }
        Assert.True(await evaluations.ResumeAsync(run.Id, ct));
        run = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);
        var resumed = await evaluations.PerplexityLengthsAsync(run.Id, ct);
        Assert.Equal([32, 64, 128], resumed.Select(r => r.ContextLength));
        Assert.Equal(42.0, resumed.Single(r => r.ContextLength == 64).MeanNll);
        Assert.Equal(rows.Single(r => r.ContextLength == 128).MeanNll, resumed.Single(r => r.ContextLength == 128).MeanNll, 1e-9);
        Assert.Equal(3, run.DoneItems);
    }

    [Fact]
    public async Task CreatePerplexity_EndpointOrMissingFolder_RefusedWithReason()
    {
        var ct = TestContext.Current.CancellationToken;
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var endpoint = new EvaluationTargetRequest(EvaluationTargetKind.OpenAiCompletions, "http://localhost:8000/v1", "m", null, "none", 4096);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => evaluations.CreatePerplexityAsync("endpoint", endpoint, new(), ct));
        Assert.Contains("local checkpoint", error.Message);
        var missing = Path.Combine(folder, "nope");
        error = await Assert.ThrowsAsync<ArgumentException>(() => evaluations.CreatePerplexityAsync("missing", Local(missing), new(), ct));
        Assert.Equal(SelfLong.Jobs.Storage.ServerPaths.Refusal(SelfLong.Jobs.Storage.ServerPathKind.Folder), error.Message);
        error = await Assert.ThrowsAsync<ArgumentException>(() => evaluations.CreatePerplexityAsync("no config", Local(folder), new(), ct));
        Assert.Contains("config.json", error.Message);
    }

    [Fact]
    public async Task EvalPerplexityVerb_LocalCheckpoint_PrintsTheStoredFiguresAsJson()
    {
        var ct = TestContext.Current.CancellationToken;
        SaveTinyCheckpoint(folder, maxPositions: 32, seed: 34);
        var name = $"cli-{Guid.NewGuid():N}";

        var (code, stdout, stderr) = await SelfLongAsync(["eval", "perplexity", "--checkpoint", folder, "--lengths", "16,64", "--windows", "2", "--name", name], ct);

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal("Succeeded", root.GetProperty("status").GetString());
        Assert.Equal(32, root.GetProperty("training_length").GetInt32());
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var run = (await evaluations.FindAsync(root.GetProperty("run").GetInt64(), ct))!;
        Assert.Equal(name, run.Name);
        var rows = await evaluations.PerplexityLengthsAsync(run.Id, ct);
        var printed = root.GetProperty("lengths").EnumerateArray().ToList();
        Assert.Equal([16, 64], printed.Select(p => p.GetProperty("length").GetInt32()));
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i].MeanNll, printed[i].GetProperty("mean_nll").GetDouble());
            Assert.Equal(Math.Exp(rows[i].MeanNll), printed[i].GetProperty("perplexity").GetDouble(), 1e-9);
        }
        // Buckets at the longest length, doubling from half the shortest: [0,8) ... [32,64).
        Assert.Equal([(0, 8), (8, 16), (16, 32), (32, 64)],
            root.GetProperty("position_buckets").EnumerateArray().Select(b => (b.GetProperty("from").GetInt32(), b.GetProperty("to").GetInt32())));

        (code, _, stderr) = await SelfLongAsync(["eval", "perplexity", "--checkpoint", "http://localhost:8000/v1"], ct);
        Assert.Equal(2, code);
        Assert.Contains("local checkpoint", stderr);
        (code, _, stderr) = await SelfLongAsync(["eval", "perplexity", "--checkpoint", folder, "--lengths", "16,lots"], ct);
        Assert.Equal(2, code);
        Assert.Contains("'lots' is not a whole number", stderr);
    }

    private static PerplexitySettings EvaluationJsonOf(EvaluationRun run) =>
        JsonSerializer.Deserialize<PerplexitySettings>(run.SettingsJson, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    /// <summary>Runs the real command-line host (SelfLong.Jobs.dll, built beside the tests) against the app's database.</summary>
    private Task<(int Code, string Stdout, string Stderr)> SelfLongAsync(string[] args, CancellationToken ct) => SelfLongAsync(app, args, ct);

    /// <summary>Runs the real command-line host (SelfLong.Jobs.dll, built beside the tests) against the app's database.</summary>
    internal static async Task<(int Code, string Stdout, string Stderr)> SelfLongAsync(AppFixture app, string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SelfLong.Jobs.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["ConnectionStrings__SelfLong"] = app.ConnectionString;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
