using SelfLong.Jobs.Runs;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Text;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

/// <summary>The corpus services over a test's own database, running the pipeline in the test's process.</summary>
public sealed class CorporaHarness : IAsyncDisposable
{
    private CorporaHarness(TestDatabase database, CorporaOptions options)
    {
        Database = database;
        Options = options;
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        Protection = new EphemeralDataProtectionProvider();
        Embedders = new CorpusEmbedders(Protection, wrapped, TestModelCalls.Policy());
        Uploads = new UploadStore(database.DataSource);
        Corpora = new CorpusService(database, database.DataSource, Embedders, Uploads);
        Ingestion = new IngestionService(database, new NoJobs(), Uploads);
        var progress = new SelfLong.Jobs.Progress.ProgressPublisher(database.DataSource, NullLogger<SelfLong.Jobs.Progress.ProgressPublisher>.Instance);
        Pipeline = new IngestionPipeline(database, database.DataSource, Embedders, TiktokenTokenCounter.Default, wrapped, progress,
            Uploads, NullLogger<IngestionPipeline>.Instance);
        Job = new IngestionJob(new RunJobShell(database, progress, NullLogger<RunJobShell>.Instance), Pipeline, Uploads);
        Retriever = new PgCorpusRetriever(database.DataSource, database, Embedders, wrapped);
        Reembedder = new CorpusReembedder(database, database.DataSource, Embedders, new NoJobs(), wrapped,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<CorpusReembedder>.Instance);
    }

    public TestDatabase Database { get; }
    public CorporaOptions Options { get; }
    public IDataProtectionProvider Protection { get; }
    public CorpusEmbedders Embedders { get; }
    public CorpusService Corpora { get; }
    public IngestionService Ingestion { get; }
    /// <summary>Where uploads wait for their run (the database).</summary>
    public UploadStore Uploads { get; }
    public IngestionPipeline Pipeline { get; }
    /// <summary>The ingestion job, as a worker runs it (the run's lifecycle around the pipeline).</summary>
    public IngestionJob Job { get; }
    public PgCorpusRetriever Retriever { get; }
    public CorpusReembedder Reembedder { get; }

    public static async Task<CorporaHarness> CreateAsync(Action<CorporaOptions>? configure = null)
    {
        var options = new CorporaOptions();
        configure?.Invoke(options);
        return new CorporaHarness(await TestDatabase.CreateAsync(), options);
    }

    public async Task<long> CreateCorpusAsync(CorpusSettings? settings = null)
    {
        var (corpus, errors) = await Corpora.CreateAsync(settings ?? new CorpusSettings { Name = $"c-{Guid.NewGuid():N}" });
        Assert.Empty(errors);
        return corpus!.Id;
    }

    /// <summary>Stores the files as uploads, runs the pipeline on them, and returns the finished run with files and issues.</summary>
    public async Task<IngestionRun> IngestAsync(long corpusId, params (string Name, byte[] Bytes)[] files)
    {
        var inputs = new List<IngestionInput>();
        foreach (var (name, bytes) in files) inputs.Add(await UploadAsync(name, bytes));
        var run = await Ingestion.StartAsync(corpusId, inputs, enqueue: false);
        await Job.RunAsync(run.Id, TestContext.Current.CancellationToken);
        return (await Ingestion.FindAsync(run.Id))!;
    }

    /// <summary>Stores bytes as an upload, as the upload endpoint does, and returns the input naming it.</summary>
    public async Task<IngestionInput> UploadAsync(string name, byte[] bytes)
    {
        var id = Guid.NewGuid();
        await Uploads.WriteAsync(id, new MemoryStream(bytes), long.MaxValue, TestContext.Current.CancellationToken);
        return new IngestionInput(name, null, bytes.Length, UploadId: id);
    }

    /// <summary>Whether the upload is still stored.</summary>
    public async Task<bool> StoredAsync(Guid upload) => await Uploads.LengthAsync(upload, TestContext.Current.CancellationToken) is not null;

    public async Task<List<Document>> DocumentsAsync(long corpusId)
    {
        await using var db = Database.CreateDbContext();
        return await db.Documents.AsNoTracking().Where(d => d.CorpusId == corpusId).OrderBy(d => d.Id).ToListAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
    }

    /// <summary>These tests run the pipeline directly; nothing may go to Hangfire.</summary>
    private sealed class NoJobs : IBackgroundJobClient
    {
        public string Create(Job job, IState state) => throw new InvalidOperationException("No Hangfire in pipeline tests.");
        public bool ChangeState(string jobId, IState state, string expectedState) => false;
    }
}
