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
            ingestionRuns.Add((await ingestion.StartAsync(corpus.Id, [new IngestionInput(Path.GetFileName(file), file, new FileInfo(file).Length, DeleteWhenDone: false)], ct: ct)).Id);
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

    /// <summary>Progress so far: documents stored by the uploads, samples completed, and each run's status.</summary>
    public async Task<WorkState> ReadAsync(CancellationToken ct)
    {
        await using var db = await Db.CreateDbContextAsync(ct);
        var ingest = await db.IngestionRuns.Where(r => ingestionRuns.Contains(r.Id)).Select(r => new { r.Status, r.CorpusId }).ToListAsync(ct);
        var corpora = ingest.Select(r => r.CorpusId).ToList();
        var documents = await db.Documents.CountAsync(d => corpora.Contains(d.CorpusId), ct);
        var samples = await db.SynthesisSamples.CountAsync(s => s.RunId == synthesisRun && s.Status == SampleStatus.Completed, ct);
        var synthesis = await db.SynthesisRuns.Where(r => r.Id == synthesisRun).Select(r => r.Status).FirstOrDefaultAsync(ct);
        return new WorkState(ingest.Select(r => r.Status.ToString()).ToList(), documents, synthesis.ToString(), samples);
    }

    public async ValueTask DisposeAsync()
    {
        worker?.Dispose();
        if (server is not null) await server.DisposeAsync();
    }
}

/// <summary>The background work's progress, as the JSON reports it.</summary>
public sealed record WorkState(IReadOnlyList<string> Ingestion, int Documents, string Synthesis, int SamplesCompleted)
{
    /// <summary>Whether any of it was still under way (work that had ended loaded nothing).</summary>
    public bool Running => Ingestion.Contains(nameof(RunStatus.Running)) || Synthesis == nameof(RunStatus.Running);
}
