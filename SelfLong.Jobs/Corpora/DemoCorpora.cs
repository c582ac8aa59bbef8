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
            var path = Path.Combine(SamplesDirectory, sample.FileName);
            if (!File.Exists(path)) throw new FileNotFoundException($"The sample {sample.FileName} is missing from {SamplesDirectory}.", path);
            var corpus = await corpora.FindByNameAsync(sample.Name, ct)
                ?? (await corpora.CreateAsync(new CorpusSettings { Name = sample.Name, Description = sample.Description }, ct)).Corpus
                ?? throw new InvalidOperationException($"Could not create the corpus '{sample.Name}'.");
            var input = new IngestionInput(sample.FileName, path, new FileInfo(path).Length, DeleteWhenDone: false);
            runs.Add(await ingestion.StartAsync(corpus.Id, [input], enqueue, ct));
        }
        return runs;
    }
}
