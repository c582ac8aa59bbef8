using SelfLong.Jobs.ModelCalls;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using SelfLong.Data;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Synthesis;
using SelfLong.Jobs.Text;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

/// <summary>Sample jobs collected instead of sent to Hangfire, so a test decides when each runs.</summary>
public sealed class RecordingSampleJobQueue : ISampleJobQueue
{
    public ConcurrentQueue<(long RunId, int Index)> Jobs { get; } = new();

    public void Enqueue(long runId, int index) => Jobs.Enqueue((runId, index));

    /// <summary>Retries asked for, with their delay; a test runs them when it chooses (as if the time had come).</summary>
    public ConcurrentQueue<(long RunId, int Index, TimeSpan Delay)> Scheduled { get; } = new();

    public void Schedule(long runId, int index, TimeSpan delay) => Scheduled.Enqueue((runId, index, delay));

    /// <summary>Moves every scheduled retry to the queue; returns them.</summary>
    public List<(long RunId, int Index, TimeSpan Delay)> ReleaseScheduled()
    {
        var released = new List<(long, int, TimeSpan)>();
        while (Scheduled.TryDequeue(out var retry))
        {
            released.Add(retry);
            Jobs.Enqueue((retry.RunId, retry.Index));
        }
        return released;
    }

    public List<(long RunId, int Index)> Drain()
    {
        var drained = new List<(long, int)>();
        while (Jobs.TryDequeue(out var job)) drained.Add(job);
        return drained;
    }
}

/// <summary>The synthesis services over a test's own database, the hand-made corpus and a recording queue.</summary>
public sealed class SynthesisTestHost : IAsyncDisposable
{
    private SynthesisTestHost(TestDatabase database, ServiceProvider services, RecordingSampleJobQueue queue)
    {
        Database = database;
        Services = services;
        Queue = queue;
    }

    public TestDatabase Database { get; }
    public ServiceProvider Services { get; }
    public RecordingSampleJobQueue Queue { get; }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public static async Task<SynthesisTestHost> CreateAsync(ICorpusRetriever? retriever = null, int attempts = 3, TimeSpan? maxBackoff = null)
    {
        var database = await TestDatabase.CreateAsync();
        await using (var db = database.CreateDbContext())
        {
            // The row the hand-made retriever stands for: runs are only created for corpora that exist.
            db.Corpora.Add(new SelfLong.Data.Corpora.Corpus { Id = HandMadeCorpusRetriever.CorpusId, Name = "hand-made" });
            await db.SaveChangesAsync();
        }
        var queue = new RecordingSampleJobQueue();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton<IDbContextFactory<SelfLongDbContext>>(database);
        services.AddSingleton(database.DataSource);
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddSingleton<ITokenCounter>(TiktokenTokenCounter.Default);
        services.AddSingleton<ICorpusRetriever>(retriever ?? new HandMadeCorpusRetriever());
        services.AddSingleton<ISampleJobQueue>(queue);
        services.AddSingleton<SelfLong.Jobs.Progress.ProgressPublisher>();
        services.AddSynthesis();
        services.AddSingleton(SelfLong.Jobs.Storage.ServerPaths.Under(Path.GetTempPath()));
        services.AddModelCalls();
        services.Configure<ModelCallOptions>(o =>
        {
            o.Attempts = attempts;
            o.InitialBackoff = TimeSpan.FromMilliseconds(20);
            o.MaxBackoff = maxBackoff ?? TimeSpan.FromMilliseconds(100);
        });
        return new SynthesisTestHost(database, services.BuildServiceProvider(), queue);
    }

    public async Task<ModelEndpoint> AddChatEndpointAsync(OpenAiTestServer server, int maxConcurrency = 4, int timeoutSeconds = 10,
        int contextWindow = 8192, string? apiKey = null)
    {
        var (endpoint, errors) = await Get<ModelEndpointService>().CreateAsync(new ModelEndpointInput(
            $"test-{Guid.NewGuid():N}"[..20], ModelEndpointKind.OpenAiCompatible, server.V1, "test-model", apiKey,
            contextWindow, maxConcurrency, timeoutSeconds));
        Assert.Empty(errors);
        return endpoint!;
    }

    /// <summary>Runs every queued sample job, several at once, until the queue is empty.</summary>
    public async Task RunQueuedAsync(CancellationToken ct = default)
    {
        var executor = Get<SynthesisExecutor>();
        while (Queue.Drain() is { Count: > 0 } jobs)
        {
            await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
                async (job, token) => await executor.RunSampleAsync(job.RunId, job.Index, token));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Database.DisposeAsync();
    }
}
