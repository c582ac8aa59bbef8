using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Endpoints;
using SelfLong.Data.Runs;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Faults;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Synthesis;

namespace SelfLong.Jobs.Load;

/// <summary>
/// The work the dashboard serves beside: four uploads ingesting and a synthesis run against the
/// bench chat server on 127.0.0.1, in a worker process of this build on the same database.
/// </summary>
public sealed class LoadWork(IServiceProvider services, string connection, IReadOnlyDictionary<string, string> settings, string folder) : IAsyncDisposable
{
    private const int Uploads = 4;
    private readonly List<long> ingestionRuns = [];
    private long synthesisRun;
    private BenchChatServer? server;
    private WorkerProcess? worker;

    private IDbContextFactory<SelfLongDbContext> Db => services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();

    /// <summary>The synthesis run's corpus, ingested in this process before anything is measured.</summary>
    public async Task<long> PrepareAsync(CancellationToken ct) =>
        await new MidRunFaults(services, connection, settings, folder).IngestHereAsync(100, 1_500, ct);

    /// <summary>Queues the uploads and the synthesis run, starts the worker, and waits until both kinds are under way.</summary>
    public async Task StartAsync(long synthesisCorpus, int records, int samples, CancellationToken ct)
    {
        server = await BenchChatServer.StartAsync(TimeSpan.FromMilliseconds(250));
        var corpora = services.GetRequiredService<CorpusService>();
        var ingestion = services.GetRequiredService<IngestionService>();
        for (var u = 0; u < Uploads; u++)
        {
            var (corpus, errors) = await corpora.CreateAsync(new CorpusSettings { Name = $"load-{u}-{Guid.NewGuid():N}"[..24] }, ct);
            if (corpus is null) throw new InvalidOperationException(string.Join("; ", errors.SelectMany(e => e.Value)));
            var file = Path.Combine(folder, $"upload-{u}.jsonl");
            await File.WriteAllLinesAsync(file, Enumerable.Range(0, records).Select(i => JsonSerializer.Serialize(new { text = MidRunFaults.Sentence(u * records + i, 60) })), ct);
            ingestionRuns.Add((await ingestion.StartAsync(corpus.Id, [new IngestionInput(Path.GetFileName(file), file, new FileInfo(file).Length)], ct: ct)).Id);
        }
        var (endpoint, endpointErrors) = await services.GetRequiredService<ModelEndpointService>().CreateAsync(new ModelEndpointInput(
            $"load-{Guid.NewGuid():N}"[..30], ModelEndpointKind.OpenAiCompatible, server.V1, "bench", null, 8192, 4, 10), ct);
        if (endpoint is null) throw new InvalidOperationException(string.Join("; ", endpointErrors.SelectMany(e => e.Value)));
        var runs = services.GetRequiredService<SynthesisRunService>();
        var synthesis = new SynthesisSettings { MinTargetTokens = 4096, MaxTargetTokens = 8192, LongOutputFraction = 0 };
        var (run, runErrors) = await runs.CreateAsync(new NewSynthesisRun($"load {Guid.NewGuid():N}"[..20], synthesisCorpus, endpoint.Id, samples, Seed: 4, synthesis), ct);
        if (run is null) throw new InvalidOperationException(string.Join("; ", runErrors.SelectMany(e => e.Value)));
        synthesisRun = run.Id;
        await runs.StartAsync(run.Id, ct);
        worker = WorkerProcess.Start(connection, $"{JobQueues.Ingest},{JobQueues.Synthesis}", settings);
        await FaultBench.WaitAsync(ReadAsync, w => w.Documents > 0 && w.SamplesCompleted > 0, TimeSpan.FromMinutes(3), ct);
    }

    /// <summary>Progress so far: documents stored by the uploads, samples completed, and each run's status with its errors.</summary>
    public async Task<WorkState> ReadAsync(CancellationToken ct)
    {
        await using var db = await Db.CreateDbContextAsync(ct);
        var ingest = await db.IngestionRuns.AsNoTracking().Where(r => ingestionRuns.Contains(r.Id)).OrderBy(r => r.Id)
            .Select(r => new
            {
                r.Id, r.Status, r.Message, r.CorpusId,
                Files = r.FileList.Where(f => f.Message != null).OrderBy(f => f.Id).Select(f => f.FileName + ": " + f.Message).ToList(),
            }).ToListAsync(ct);
        var corpora = ingest.Select(r => r.CorpusId).ToList();
        var documents = await db.Documents.CountAsync(d => corpora.Contains(d.CorpusId), ct);
        var samples = await db.SynthesisSamples.Where(s => s.RunId == synthesisRun).GroupBy(s => s.Status)
            .Select(g => new { Status = g.Key, Count = g.Count() }).ToListAsync(ct);
        // The distinct errors of failed samples, most frequent first: one stuck cause shows once.
        var sampleErrors = await db.SynthesisSamples.Where(s => s.RunId == synthesisRun && s.Status == SampleStatus.Failed && s.Error != null)
            .GroupBy(s => s.Error!).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} sample(s): {g.Key}").Take(5).ToListAsync(ct);
        var synthesis = await db.SynthesisRuns.AsNoTracking().Where(r => r.Id == synthesisRun).Select(r => new { r.Status, r.Error }).SingleAsync(ct);
        return new WorkState(
            ingest.Select(r => new RunState(r.Id, r.Status.ToString(), r.Message, r.Files)).ToList(), documents,
            new RunState(synthesisRun, synthesis.Status.ToString(), synthesis.Error, sampleErrors),
            samples.FirstOrDefault(s => s.Status == SampleStatus.Completed)?.Count ?? 0,
            samples.FirstOrDefault(s => s.Status == SampleStatus.Failed)?.Count ?? 0);
    }

    public async ValueTask DisposeAsync()
    {
        worker?.Dispose();
        if (server is not null) await server.DisposeAsync();
    }
}

/// <summary>
/// One background run as the JSON reports it: its status, its message, and the messages of its
/// files (ingestion) or its failed samples' errors (synthesis), so a failure is explained in the
/// output rather than lost with the bench's database.
/// </summary>
public sealed record RunState(long Id, string Status, string? Message, IReadOnlyList<string> Problems);

/// <summary>The background work's progress, as the JSON reports it.</summary>
public sealed record WorkState(IReadOnlyList<RunState> Ingestion, int Documents, RunState Synthesis, int SamplesCompleted, int SamplesFailed)
{
    /// <summary>Whether any of it was still under way (work that had ended loaded nothing).</summary>
    public bool Running => Ingestion.Any(r => r.Status == nameof(RunStatus.Running)) || Synthesis.Status == nameof(RunStatus.Running);

    /// <summary>Whether every run has ended: succeeded, failed or cancelled.</summary>
    public bool Ended => Ingestion.Append(Synthesis).All(r => r.Status is nameof(RunStatus.Succeeded) or nameof(RunStatus.Failed) or nameof(RunStatus.Cancelled));
}
