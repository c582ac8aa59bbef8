using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Corpora.Retrieval;

namespace SelfLong.Jobs.Corpora;

/// <summary>
/// `./selflong bench corpus`: ingestion throughput of the State of the Union sample against a raw
/// binary COPY of the same rows (three runs after warm-up runs that end once the JIT is quiet, the
/// median reported), hybrid query latency, HNSW recall@10 (against exact search) and bounded
/// full-text agreement over 100k+ small chunks made
/// from both samples, and the same over a large corpus of chunks of the default size
/// (SampleChunkCorpus, a million by default). The corpora it makes are deleted at the end unless
/// kept; a kept or any other corpus of the built-in embedder can be measured again alone
/// (MeasureStoredAsync), without the minutes a large corpus takes to build.
/// </summary>
public sealed class CorpusBench(IDbContextFactory<SelfLongDbContext> dbFactory, NpgsqlDataSource dataSource, CorpusService corpora,
    IngestionService ingestion, IngestionJob ingestionJob, PgCorpusRetriever retriever, IOptions<CorporaOptions> options)
{
    private readonly CorpusBenchIngest ingestBench = new(dbFactory, dataSource, corpora, ingestion, ingestionJob, options.Value);

    /// <summary>Small chunks turn the two samples (about 2.4 M tokens) into more than 100 000 chunks.</summary>
    private const int QueryChunkTokens = 24;

    /// <summary>The hybrid p95 targets: 20 ms at 126K chunks, 50 ms at a million.</summary>
    private const int TargetP95Ms126K = 20, TargetP95MsMillion = 50;

    /// <summary>A stored corpus is held to the target of the size it is nearer.</summary>
    private static int TargetP95Ms(long chunks) => chunks >= 500_000 ? TargetP95MsMillion : TargetP95Ms126K;

    private static readonly int[] EfSearchSweep = [40, 100, 200, 400];

    /// <param name="keep">Keep the 126K and the large query corpora (their names are in the figures); the ingest runs' corpora go anyway.</param>
    public async Task<object> RunAsync(int queries, long largeChunks, bool keep, CancellationToken ct)
    {
        var made = new List<long>();
        try
        {
            var sotu = Path.Combine(DemoCorpora.SamplesDirectory, "sotu.jsonl.gz");
            var moby = Path.Combine(DemoCorpora.SamplesDirectory, "moby-dick.jsonl.gz");
            var measure = new CorpusBenchQueries(dataSource, retriever);
            var efSearch = options.Value.HnswEfSearch;

            var ingest = await ingestBench.MeasureAsync(sotu, ct);

            var queryCorpus = await ingestBench.CreateAsync($"bench-query-{Guid.NewGuid():N}", QueryChunkTokens, 0, made, ct);
            var queryIngestSeconds = await ingestBench.IngestAsync(queryCorpus, [sotu, moby], ct);
            var queryChunks = (await corpora.GetAsync(queryCorpus.Id, ct))!.Chunks;
            // Ingestion tuned it already; tuned again (the same sample, so the same choice) to time it.
            var queryTuning = await HnswEfSearchTuner.TuneAndStoreAsync(dataSource, queryCorpus.Id,
                new Embeddings.LexicalEmbedder(queryCorpus.EmbeddingDimension), options.Value, ct);
            var small = await measure.MeasureAsync(queryCorpus, queries, Sweep(queryTuning?.EfSearch), efSearch, ct);
            if (!keep)
            {
                await corpora.DeleteAsync(queryCorpus.Id, CancellationToken.None);
                made.Remove(queryCorpus.Id);
            }

            var defaults = new CorpusSettings();
            var largeCorpus = await ingestBench.CreateAsync($"bench-large-{Guid.NewGuid():N}", defaults.ChunkTokens, 0, made, ct);
            SampleChunkCorpus.Written written;
            written = await SampleChunkCorpus.WriteAsync(dataSource, largeCorpus.Id, largeCorpus.EmbeddingDimension, largeChunks, defaults.ChunkTokens,
                    options.Value, ct);
            var large = await measure.MeasureAsync(largeCorpus, queries, Sweep(written.Tuning?.EfSearch), efSearch, ct);

            return new
            {
                area = "corpus",
                server = await BenchServerFacts.ReadAsync(dataSource, ct),
                ingest,
                query = CorpusBenchFigures.Query(small, queryChunks, QueryChunkTokens, efSearch, queryTuning, options.Value,
                    new { name = keep ? queryCorpus.Name : null, ingest_seconds = Math.Round(queryIngestSeconds, 2) }, TargetP95Ms126K),
                large = CorpusBenchFigures.Query(large, written.Chunks, defaults.ChunkTokens, efSearch, written.Tuning, options.Value, new
                {
                    name = keep ? largeCorpus.Name : null,
                    written.Documents,
                    made_from = "sotu.jsonl.gz and moby-dick.jsonl.gz: each chunk two runs of sentences from seeded random places",
                    write_seconds_with_statistics_and_common_words = Math.Round(written.WriteSeconds, 1),
                    index_seconds_full_text_and_hnsw_at_once = Math.Round(written.IndexSeconds, 1),
                    index_steps = written.IndexSteps,
                }, TargetP95MsMillion),
            };
        }
        finally
        {
            if (!keep) foreach (var id in made) await corpora.DeleteAsync(id, CancellationToken.None);
        }
    }

    /// <summary>
    /// The query figures of a stored corpus, searched as searches run (at its tuned ef_search, when
    /// it has one). Recall is measured against the built-in embedder, so a corpus embedded by a
    /// remote model is refused. Nothing is made or deleted.
    /// </summary>
    public async Task<object> MeasureStoredAsync(string name, int queries, CancellationToken ct)
    {
        var corpus = await corpora.FindByNameAsync(name, ct) ?? throw new ArgumentException($"No corpus is named '{name}'.");
        if (corpus.Embedder != nameof(EmbedderKind.Lexical))
            throw new ArgumentException($"Corpus '{name}' is embedded by {corpus.Embedder}; the bench measures recall with the built-in embedder only.");
        if (corpus.Chunks == 0) throw new ArgumentException($"Corpus '{name}' has no chunks.");
        var o = options.Value;
        var tuned = o.HnswTuneQueries > 0 ? corpus.HnswEfSearch : null;
        var figures = await new CorpusBenchQueries(dataSource, retriever).MeasureAsync(corpus, queries, Sweep(tuned), o.HnswEfSearch, ct);
        return new
        {
            area = "corpus",
            server = await BenchServerFacts.ReadAsync(dataSource, ct),
            query = CorpusBenchFigures.Query(figures, corpus.Chunks, corpus.ChunkTokens, o.HnswEfSearch, tuned ?? o.HnswEfSearch,
                tuned is null ? null : CorpusBenchFigures.Stored(corpus), o, new { name = corpus.Name, stored = true }, TargetP95Ms(corpus.Chunks)),
        };
    }

    /// <summary>The ef_search values whose recall is measured: the fixed sweep, the configured one and the corpus's tuned one.</summary>
    private IEnumerable<int> Sweep(int? tuned) => EfSearchSweep.Append(options.Value.HnswEfSearch).Concat(tuned is { } ef ? [ef] : []);
}
