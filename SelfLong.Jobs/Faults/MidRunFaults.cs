using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Training;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Synthesis;
using SelfLong.Jobs.Training;
using SelfLong.Data.Runs;
using SelfLong.Data.Endpoints;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Endpoints;

namespace SelfLong.Jobs.Faults;

/// <summary>
/// A run queued and a fault injected once it is well under way: by default its worker process
/// killed with SIGKILL and a new worker started (Hangfire hands the dead worker's job to the new
/// one after the invisibility timeout, 20 s here), or <paramref name="fault"/> (PostgreSQL stopped
/// for a while) with the worker left running. The run must end Succeeded with every item done once.
/// Each outcome's detail says how far the run had come when the fault struck, under the fault's
/// name ("killed_at_step", "postgres_stopped_at_step").
/// </summary>
public sealed class MidRunFaults(IServiceProvider services, string connection, IReadOnlyDictionary<string, string> settings, string folder,
    InjectedFault? fault = null)
{
    // Generous: a killed worker's endpoint slots are only freed when their leases expire, and a loaded machine is slow.
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);
    private IDbContextFactory<SelfLongDbContext> Db => services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();

    public async Task<FaultOutcome> TrainingAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        const int steps = 30;
        // Held after step 12, two steps past the checkpoint at 10: a new worker redoes 11 and 12,
        // whose metrics the first may have stored already.
        const int holdAfter = 12;
        var data = Path.Combine(folder, "faults.jsonl");
        await File.WriteAllLinesAsync(data, Enumerable.Range(0, 200).Select(i => JsonSerializer.Serialize(new { text = Sentence(i, 40) })), ct);
        var runs = services.GetRequiredService<TrainingRunService>();
        var run = await runs.CreateAsync($"faults {Guid.NewGuid():N}"[..20], new TrainingRunSpec
        {
            Data = [new DataFileSpec(data)],
            Stages = [new TrainingStage(64, 100, steps, 1e-3)],
            Options = new TrainingOptions { BatchSize = 1, WarmupSteps = 1, CheckpointEvery = 5 },
        }, ct);
        // A folder per scenario: run ids restart in each scenario's database.
        var holds = Directory.CreateDirectory(Path.Combine(folder, $"holds-{Guid.NewGuid():N}")).FullName;
        var hold = new Dictionary<string, string>
        {
            [TrainingStepHold.StepSetting] = holdAfter.ToString(CultureInfo.InvariantCulture),
            [TrainingStepHold.FolderSetting] = holds,
        };
        var faultedAt = await FaultMidwayAsync(JobQueues.Training, _ => Task.FromResult(HeldStep(holds, run.Id)), step => step > 0, ct,
            firstOnly: hold, release: () => File.WriteAllText(TrainingStepHold.ReleaseFile(holds, run.Id), ""));
        run = await FaultBench.WaitAsync(async token => (await runs.FindAsync(run.Id, token))!,
            r => r.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled, Limit, ct);
        StopWorker();
        var metrics = (await runs.MetricsAsync(run.Id, ct: ct)).Select(m => m.GlobalStep).ToList();
        var detail = At("step", faultedAt);
        // Which steps have no metrics, when some are lost: where in the run they fall says what lost them.
        if (Enumerable.Range(1, steps).Except(metrics).ToList() is { Count: > 0 } missing) detail["missing_steps"] = missing;
        return new FaultOutcome(run.Status.ToString(), steps, metrics.Distinct().Count(), steps - metrics.Distinct().Count(),
            metrics.Count - metrics.Distinct().Count(), Math.Round(watch.Elapsed.TotalSeconds, 1), run.Message, detail);
    }

    public async Task<FaultOutcome> IngestionAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        const int records = 20_000;
        var (corpus, errors) = await services.GetRequiredService<CorpusService>().CreateAsync(new CorpusSettings { Name = $"faults-{Guid.NewGuid():N}"[..24] }, ct);
        if (corpus is null) throw new InvalidOperationException(string.Join("; ", errors.SelectMany(e => e.Value)));
        var file = Path.Combine(folder, "records.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, records).Select(i => JsonSerializer.Serialize(new { text = Sentence(i, 60) })), ct);
        var ingestion = services.GetRequiredService<IngestionService>();
        var run = await ingestion.StartAsync(corpus.Id, [new IngestionInput("records.jsonl", file, new FileInfo(file).Length)], ct: ct);
        var faultedAt = await FaultMidwayAsync(JobQueues.Ingest, token => DocumentsAsync(corpus.Id, token), n => n >= 2_000, ct);
        run = await FaultBench.WaitAsync(async token => (await ingestion.FindAsync(run.Id, token))!,
            r => r.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled, Limit, ct);
        StopWorker();
        await using var db = await Db.CreateDbContextAsync(ct);
        var hashes = await db.Documents.Where(d => d.CorpusId == corpus.Id).Select(d => d.ContentHash).ToListAsync(ct);
        var distinct = hashes.Select(Convert.ToHexString).Distinct().Count();
        return new FaultOutcome(run.Status.ToString(), records, distinct, records - distinct, hashes.Count - distinct,
            Math.Round(watch.Elapsed.TotalSeconds, 1), run.Message, At("documents", faultedAt));
    }

    public async Task<FaultOutcome> EvaluationAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await using var server = await BenchChatServer.StartAsync(TimeSpan.FromMilliseconds(300));
        var evaluations = services.GetRequiredService<EvaluationService>();
        var run = await evaluations.CreateRulerAsync($"faults {Guid.NewGuid():N}"[..20],
            new EvaluationTargetRequest(EvaluationTargetKind.OpenAiChat, server.V1, "bench", null, "none", 4096),
            new RulerSettings { Lengths = [4096], Samples = 6, Seed = 9 }, ct);
        var faultedAt = await FaultMidwayAsync(JobQueues.Evaluation, async token => (await evaluations.FindAsync(run.Id, token))!.DoneItems, n => n >= 12, ct);
        run = await FaultBench.WaitAsync(async token => (await evaluations.FindAsync(run.Id, token))!,
            r => r.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled, Limit, ct);
        StopWorker();
        var keys = (await evaluations.RulerSamplesAsync(run.Id, ct)).Select(r => (r.Task, r.Length, r.Index)).ToList();
        return new FaultOutcome(run.Status.ToString(), run.TotalItems, keys.Distinct().Count(), run.TotalItems - keys.Distinct().Count(),
            keys.Count - keys.Distinct().Count(), Math.Round(watch.Elapsed.TotalSeconds, 1), run.Message, At("items", faultedAt));
    }

    /// <summary>
    /// A synthesis run over a small ingested corpus, each sample its own job: samples killed
    /// mid-call are taken up again, and the unique (run, index) keeps a second completion out.
    /// </summary>
    public async Task<FaultOutcome> SynthesisAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        const int samples = 24;
        await using var server = await BenchChatServer.StartAsync(TimeSpan.FromMilliseconds(250));
        var corpusId = await IngestHereAsync(200, 1_500, ct);
        var (endpoint, endpointErrors) = await services.GetRequiredService<ModelEndpointService>().CreateAsync(new ModelEndpointInput(
            $"faults-{Guid.NewGuid():N}"[..30], ModelEndpointKind.OpenAiCompatible, server.V1, "bench", null, 8192, 4, 10), ct);
        if (endpoint is null) throw new InvalidOperationException(string.Join("; ", endpointErrors.SelectMany(e => e.Value)));
        var runs = services.GetRequiredService<SynthesisRunService>();
        var settings = new SynthesisSettings { MinTargetTokens = 4096, MaxTargetTokens = 8192, LongOutputFraction = 0 };
        var (run, errors) = await runs.CreateAsync(new NewSynthesisRun($"faults {Guid.NewGuid():N}"[..20], corpusId, endpoint.Id, samples, Seed: 4, settings), ct);
        if (run is null) throw new InvalidOperationException(string.Join("; ", errors.SelectMany(e => e.Value)));
        await runs.StartAsync(run.Id, ct);
        // The workers' reaper takes over samples left without a live job after its grace and this
        // down limit, well inside the scenario's time, should a killed worker's job not come back.
        var faultedAt = await FaultMidwayAsync(JobQueues.Synthesis, token => CompletedSamplesAsync(run.Id, token), n => n >= 6, ct,
            new Dictionary<string, string> { ["SelfLong:ModelCalls:DownLimit"] = "00:00:30" });
        run = await FaultBench.WaitAsync(async token => (await runs.FindAsync(run.Id, token))!,
            r => r.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled, Limit, ct);
        StopWorker();
        await using var db = await Db.CreateDbContextAsync(ct);
        var rows = await db.SynthesisSamples.Where(s => s.RunId == run.Id).Select(s => new { s.Index, s.Status, s.Error }).ToListAsync(ct);
        var done = rows.Where(s => s.Status == SampleStatus.Completed).Select(s => s.Index).Distinct().Count();
        return new FaultOutcome(run.Status.ToString(), samples, done, samples - done, rows.Count - rows.Select(s => s.Index).Distinct().Count(),
            Math.Round(watch.Elapsed.TotalSeconds, 1), run.Error ?? rows.FirstOrDefault(s => s.Error is not null)?.Error, At("samples", faultedAt));
    }

    private WorkerProcess? second;

    private Dictionary<string, object> At(string unit, int progress) => new() { [$"{fault?.Name ?? "killed"}_at_{unit}"] = progress };

    /// <summary>The step a worker holds the run after (<see cref="TrainingStepHold"/>); 0 until it holds.</summary>
    private static int HeldStep(string holds, long runId)
    {
        var held = TrainingStepHold.HeldFile(holds, runId);
        return File.Exists(held) && int.TryParse(File.ReadAllText(held), CultureInfo.InvariantCulture, out var step) ? step : 0;
    }

    /// <summary>
    /// Starts a worker (with <paramref name="firstOnly"/> added to its settings), injects the fault
    /// once <paramref name="far"/> holds (by default: kills it, starts another without those
    /// settings) and returns the progress then. Under another fault the worker is kept, and
    /// <paramref name="release"/> runs while the fault is on.
    /// </summary>
    private async Task<int> FaultMidwayAsync(string queue, Func<CancellationToken, Task<int>> progress, Func<int, bool> far, CancellationToken ct,
        IReadOnlyDictionary<string, string>? extra = null, IReadOnlyDictionary<string, string>? firstOnly = null, Action? release = null)
    {
        var workerSettings = With(settings, extra);
        var firstSettings = With(workerSettings, firstOnly);
        int at;
        if (fault is not null)
        {
            second = WorkerProcess.Start(connection, queue, firstSettings);
            at = await FaultBench.WaitAsync(progress, far, Limit, ct);
            await fault.StartAsync(ct);
            release?.Invoke();
            await fault.EndAsync(ct);
            return at;
        }
        using (var first = WorkerProcess.Start(connection, queue, firstSettings))
        {
            at = await FaultBench.WaitAsync(progress, far, Limit, ct);
            first.Kill();
        }
        second = WorkerProcess.Start(connection, queue, workerSettings);
        return at;
    }

    private static IReadOnlyDictionary<string, string> With(IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string>? more) =>
        more is null ? settings : new Dictionary<string, string>(settings.Concat(more));

    private void StopWorker()
    {
        second?.Dispose();
        second = null;
    }

    private async Task<int> CompletedSamplesAsync(long runId, CancellationToken ct)
    {
        await using var db = await Db.CreateDbContextAsync(ct);
        return await db.SynthesisSamples.CountAsync(s => s.RunId == runId && s.Status == SampleStatus.Completed, ct);
    }

    /// <summary>A corpus of <paramref name="documents"/> distinct texts, ingested in this process (no worker involved).</summary>
    internal async Task<long> IngestHereAsync(int documents, int words, CancellationToken ct)
    {
        var (corpus, errors) = await services.GetRequiredService<CorpusService>().CreateAsync(new CorpusSettings { Name = $"faults-{Guid.NewGuid():N}"[..24] }, ct);
        if (corpus is null) throw new InvalidOperationException(string.Join("; ", errors.SelectMany(e => e.Value)));
        var file = Path.Combine(folder, $"corpus-{corpus.Id}.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, documents).Select(i => JsonSerializer.Serialize(new { text = Sentence(100_000 + i, words) })), ct);
        var run = await services.GetRequiredService<IngestionService>().StartAsync(corpus.Id,
            [new IngestionInput(Path.GetFileName(file), file, new FileInfo(file).Length)], enqueue: false, ct);
        await services.GetRequiredService<IngestionJob>().RunAsync(run.Id, ct);
        return corpus.Id;
    }

    private async Task<int> DocumentsAsync(long corpusId, CancellationToken ct)
    {
        await using var db = await Db.CreateDbContextAsync(ct);
        return await db.Documents.CountAsync(d => d.CorpusId == corpusId, ct);
    }

    private static readonly string[] Words = "the ship sailed north while the crew watched whales rise near the ice and the captain wrote of storms harbours oil and trade".Split(' ');

    /// <summary>A distinct, deterministic text per record.</summary>
    internal static string Sentence(int seed, int words)
    {
        var random = new Random(seed);
        return $"Record {seed}: " + string.Join(' ', Enumerable.Range(0, words).Select(_ => Words[random.Next(Words.Length)])) + ".";
    }
}

/// <summary>A fault other than a killed worker: started once a run is well under way, then ended, the run's worker left running throughout.</summary>
public sealed record InjectedFault(string Name, Func<CancellationToken, Task> StartAsync, Func<CancellationToken, Task> EndAsync);
