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
    private readonly string directory = Directory.CreateTempSubdirectory("selflong-corpora-").FullName;

    private CorporaHarness(TestDatabase database, CorporaOptions options)
    {
        Database = database;
        Options = options;
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        Protection = new EphemeralDataProtectionProvider();
        Embedders = new CorpusEmbedders(Protection, wrapped, TestModelCalls.Policy());
        Corpora = new CorpusService(database, database.DataSource, Embedders);
        Ingestion = new IngestionService(database, new NoJobs());
        var progress = new SelfLong.Jobs.Progress.ProgressPublisher(database.DataSource, NullLogger<SelfLong.Jobs.Progress.ProgressPublisher>.Instance);
        Pipeline = new IngestionPipeline(database, database.DataSource, Embedders, TiktokenTokenCounter.Default, wrapped, progress,
            NullLogger<IngestionPipeline>.Instance);
        Job = new IngestionJob(new RunJobShell(database, progress, NullLogger<RunJobShell>.Instance), Pipeline);
        Retriever = new PgCorpusRetriever(database.DataSource, database, Embedders, wrapped);
        Reembedder = new CorpusReembedder(database, database.DataSource, Embedders, new NoJobs());
    }

    public TestDatabase Database { get; }
    public CorporaOptions Options { get; }
    public IDataProtectionProvider Protection { get; }
    public CorpusEmbedders Embedders { get; }
    public CorpusService Corpora { get; }
    public IngestionService Ingestion { get; }
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

    /// <summary>Writes the files, runs the pipeline on them, and returns the finished run with files and issues.</summary>
    public async Task<IngestionRun> IngestAsync(long corpusId, params (string Name, byte[] Bytes)[] files)
    {
        var inputs = files.Select(f =>
        {
            var path = Path.Combine(directory, $"{Guid.NewGuid():N}.upload");
            File.WriteAllBytes(path, f.Bytes);
            return new IngestionInput(f.Name, path, f.Bytes.Length, DeleteWhenDone: true);
        }).ToList();
        var run = await Ingestion.StartAsync(corpusId, inputs, enqueue: false);
        await Job.RunAsync(run.Id, TestContext.Current.CancellationToken);
        return (await Ingestion.FindAsync(run.Id))!;
    }

    public async Task<List<Document>> DocumentsAsync(long corpusId)
    {
        await using var db = Database.CreateDbContext();
        return await db.Documents.AsNoTracking().Where(d => d.CorpusId == corpusId).OrderBy(d => d.Id).ToListAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>These tests run the pipeline directly; nothing may go to Hangfire.</summary>
    private sealed class NoJobs : IBackgroundJobClient
    {
        public string Create(Job job, IState state) => throw new InvalidOperationException("No Hangfire in pipeline tests.");
        public bool ChangeState(string jobId, IState state, string expectedState) => false;
    }
}
