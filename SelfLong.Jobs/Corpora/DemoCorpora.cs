using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;

namespace SelfLong.Jobs.Corpora;

/// <summary>The public-domain samples shipped in samples/ (see its README for the licence), loadable in one step.</summary>
public sealed class DemoCorpora(CorpusService corpora, IngestionService ingestion)
{
    public sealed record Sample(string Name, string FileName, string Description);

    public static readonly Sample[] Samples =
    [
        new("State of the Union", "sotu.jsonl.gz", "US presidents' State of the Union addresses (public domain)."),
        new("Moby-Dick", "moby-dick.jsonl.gz", "Herman Melville, Moby-Dick; or, The Whale (1851), by chapter (public domain)."),
    ];

    /// <summary>The samples folder copied beside the executable.</summary>
    public static string SamplesDirectory => Path.Combine(AppContext.BaseDirectory, "samples");

    /// <summary>Creates the sample corpora (when missing) and starts one ingestion run each.</summary>
    /// <param name="enqueue">False runs nothing: the caller runs the pipeline itself (the CLI).</param>
    public async Task<List<IngestionRun>> LoadAsync(bool enqueue = true, CancellationToken ct = default)
    {
        var runs = new List<IngestionRun>();
        foreach (var sample in Samples)
        {
            var (corpus, _) = await FindOrCreateAsync(sample, ct);
            runs.Add(await StartIngestionAsync(sample, corpus.Id, enqueue, ct));
        }
        return runs;
    }

    /// <summary>
    /// One sample corpus for the demo: created and ingested (enqueued) unless it already holds
    /// documents; the run is null when nothing needed ingesting.
    /// </summary>
    public async Task<(long CorpusId, IngestionRun? Run)> LoadOneAsync(Sample sample, CancellationToken ct = default)
    {
        var (corpus, existed) = await FindOrCreateAsync(sample, ct);
        if (existed && corpus.Documents > 0) return (corpus.Id, null);
        return (corpus.Id, await StartIngestionAsync(sample, corpus.Id, enqueue: true, ct));
    }

    private async Task<(CorpusSummary Corpus, bool Existed)> FindOrCreateAsync(Sample sample, CancellationToken ct)
    {
        if (await corpora.FindByNameAsync(sample.Name, ct) is { } found) return (found, true);
        var created = (await corpora.CreateAsync(new CorpusSettings { Name = sample.Name, Description = sample.Description }, ct)).Corpus
            ?? throw new InvalidOperationException($"Could not create the corpus '{sample.Name}'.");
        return (created, false);
    }

    private Task<IngestionRun> StartIngestionAsync(Sample sample, long corpusId, bool enqueue, CancellationToken ct)
    {
        var path = Path.Combine(SamplesDirectory, sample.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"The sample {sample.FileName} is missing from {SamplesDirectory}.", path);
        var input = new IngestionInput(sample.FileName, path, new FileInfo(path).Length);
        return ingestion.StartAsync(corpusId, [input], enqueue, ct);
    }
}
