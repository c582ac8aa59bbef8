using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora;

/// <summary>
/// The ingest figures of `bench corpus` (CorpusBench): the sample ingested through the pipeline
/// (which ends by building the indexes and tuning ef_search) against a raw binary COPY of the same
/// rows into a fresh corpus, the median of three runs after warm-up runs.
/// </summary>
internal sealed class CorpusBenchIngest(IDbContextFactory<SelfLongDbContext> dbFactory, NpgsqlDataSource dataSource, CorpusService corpora,
    IngestionService ingestion, IngestionJob ingestionJob, CorporaOptions options)
{
    private const int Runs = 3;

    /// <summary>Warm-up ends once compiling takes under this share of a run's timed seconds (or after <see cref="MaxWarmUpRuns"/>).</summary>
    private const double SettledJitShare = 0.05;
    private const int MaxWarmUpRuns = 6;

    /// <summary>The target: ingestion including the index builds at least half as fast as a raw COPY.</summary>
    private const double TargetRatio = 0.5;

    public async Task<object> MeasureAsync(string sample, CancellationToken ct)
    {
        // Left out of the median (reported apart): a process's first ingestions also compile the pipeline's code and
        // load the tokenizer, which a long-running worker pays once. Not one run: tiered compilation goes on recompiling
        // hot code through the next few (2.0 s and 0.6 s of JIT in the second and third runs of 5 s, measured), on the
        // cores the pipeline and the server share. So warm-up runs go on until the JIT is quiet in the timed parts.
        var warmUps = new List<Figures>();
        do warmUps.Add(await RunAsync(sample, ct));
        while (warmUps.Count < MaxWarmUpRuns && !warmUps[^1].JitSettled);
        var runs = new List<Figures>();
        for (var run = 0; run < Runs; run++) runs.Add(await RunAsync(sample, ct));
        var median = runs.OrderBy(r => r.Ratio).ElementAt(Runs / 2);
        return new
        {
            sample = Path.GetFileName(sample),
            median.Documents,
            median.Tokens,
            median.Chunks,
            text_mb = Math.Round(median.TextBytes / 1e6, 2),
            runs = Runs,
            median_run = new
            {
                seconds = Math.Round(median.Seconds, 2),
                chunks_per_s = Math.Round(median.Chunks / median.Seconds),
                mb_per_s = Math.Round(median.TextBytes / 1e6 / median.Seconds, 2),
                raw_copy_seconds = Math.Round(median.CopySeconds, 2),
                raw_copy_chunks_per_s = Math.Round(median.Chunks / median.CopySeconds),
                hnsw_index_seconds = Math.Round(median.IndexSeconds, 2),
                // The run's own steps, from their spans (IngestionSteps): what the ratio is spent on.
                steps_seconds = median.Steps,
            },
            ratio_to_raw_copy_by_run = runs.Select(r => Math.Round(r.Ratio, 3)).ToList(),
            // Both sides of each ratio: which of the two a noisy run moved.
            seconds_by_run = runs.Select(r => Math.Round(r.Seconds, 2)).ToList(),
            raw_copy_seconds_by_run = runs.Select(r => Math.Round(r.CopySeconds, 2)).ToList(),
            // Compilation time inside each run's two timed parts (the ingestion and the raw COPY).
            jit_seconds_by_run = runs.Select(r => Math.Round(r.JitSeconds, 2)).ToList(),
            warm_up = new
            {
                runs = warmUps.Count,
                ratio_to_raw_copy_by_run = warmUps.Select(r => Math.Round(r.Ratio, 3)).ToList(),
                jit_seconds_by_run = warmUps.Select(r => Math.Round(r.JitSeconds, 2)).ToList(),
                until = $"JIT under {SettledJitShare:P0} of a run's timed seconds, at most {MaxWarmUpRuns} runs",
            },
            ratio_to_raw_copy = Math.Round(median.Ratio, 3),
            target_ratio = TargetRatio,
        };
    }

    /// <summary>A corpus for the bench, its id added to <paramref name="made"/> (the caller deletes them).</summary>
    public async Task<CorpusSummary> CreateAsync(string name, int chunkTokens, int overlap, List<long> made, CancellationToken ct)
    {
        var (corpus, errors) = await corpora.CreateAsync(new CorpusSettings { Name = name, ChunkTokens = chunkTokens, ChunkOverlapTokens = overlap }, ct);
        if (corpus is null) throw new InvalidOperationException(string.Join(" ", errors.Values.SelectMany(v => v)));
        made.Add(corpus.Id);
        return corpus;
    }

    /// <summary>Ingests the files as an upload would be (an ingestion run, its job run here); its seconds.</summary>
    public async Task<double> IngestAsync(CorpusSummary corpus, string[] paths, CancellationToken ct)
    {
        var inputs = paths.Select(p => new IngestionInput(Path.GetFileName(p), p, new FileInfo(p).Length)).ToList();
        var run = await ingestion.StartAsync(corpus.Id, inputs, enqueue: false, ct);
        var watch = Stopwatch.StartNew();
        await ingestionJob.RunAsync(run.Id, ct);
        var status = (await ingestion.FindAsync(run.Id, ct))!.Status;
        if (status != RunStatus.Succeeded) throw new InvalidOperationException($"Bench ingestion ended {status}.");
        return watch.Elapsed.TotalSeconds;
    }

    private sealed record Figures(int Documents, long Tokens, long Chunks, long TextBytes, double Seconds, double CopySeconds, double IndexSeconds,
        IReadOnlyDictionary<string, double> Steps, double JitSeconds)
    {
        public double Ratio => CopySeconds / Seconds;

        public bool JitSettled => JitSeconds < SettledJitShare * (Seconds + CopySeconds);
    }

    /// <summary>The process's time spent compiling so far, on every thread.</summary>
    private static double JitSeconds() => System.Runtime.JitInfo.GetCompilationTime().TotalSeconds;

    /// <summary>
    /// One ingestion of the sample through the pipeline, the HNSW index build timed alone, and a raw
    /// COPY of the same rows into a fresh corpus.
    /// </summary>
    private async Task<Figures> RunAsync(string sample, CancellationToken ct)
    {
        var made = new List<long>();
        try
        {
            var ingestCorpus = await CreateAsync($"bench-ingest-{Guid.NewGuid():N}", 256, 32, made, ct);
            double ingestSeconds;
            Dictionary<string, double> steps;
            var jit = JitSeconds();
            using (var times = new IngestionStepTimes())
            {
                ingestSeconds = await IngestAsync(ingestCorpus, [sample], ct);
                steps = times.Seconds.ToDictionary(s => s.Key.ToLowerInvariant().Replace(' ', '_').Replace('-', '_'), s => Math.Round(s.Value, 2));
            }
            jit = JitSeconds() - jit;
            var (documents, textBytes, chunkCount) = await LoadAsync(ingestCorpus.Id, ct);
            var indexWatch = Stopwatch.StartNew();
            await using (var connection = await dataSource.OpenConnectionAsync(ct))
            {
                await ChunkVectorIndex.DropAsync(connection, ingestCorpus.Id, ct);
                await ChunkVectorIndex.EnsureAsync(connection, ingestCorpus.Id, ingestCorpus.EmbeddingDimension, options.HnswBuild, ct);
            }
            var indexSeconds = indexWatch.Elapsed.TotalSeconds;

            var copyCorpus = await CreateAsync($"bench-copy-{Guid.NewGuid():N}", 256, 32, made, ct);
            var copyJit = JitSeconds();
            var copyWatch = Stopwatch.StartNew();
            await using (var connection = await dataSource.OpenConnectionAsync(ct))
                await CorpusCopyWriter.CopyAsync(connection, copyCorpus.Id, copyCorpus.EmbeddingDimension, documents, ct);
            var copySeconds = copyWatch.Elapsed.TotalSeconds;
            jit += JitSeconds() - copyJit;
            return new Figures(documents.Count, documents.Sum(d => (long)d.TokenCount), chunkCount, textBytes, ingestSeconds, copySeconds, indexSeconds,
                steps, jit);
        }
        finally
        {
            foreach (var id in made) await corpora.DeleteAsync(id, CancellationToken.None);
        }
    }

    /// <summary>The stored rows, read back as the COPY writer takes them.</summary>
    private async Task<(List<PreparedDocument> Documents, long TextBytes, long Chunks)> LoadAsync(long corpusId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var documents = await db.Documents.AsNoTracking().Where(d => d.CorpusId == corpusId).OrderBy(d => d.Id).ToListAsync(ct);
        var chunks = (await db.Chunks.AsNoTracking().Where(c => c.CorpusId == corpusId)
                .Select(c => new { c.DocumentId, c.Index, c.Text, c.TokenCount, c.Embedding }).ToListAsync(ct))
            .ToLookup(c => c.DocumentId);
        var prepared = documents.Select(d => new PreparedDocument(d.Title, d.Text, d.ContentHash, d.TokenCount, d.Source, d.HadInvalidUtf8,
            chunks[d.Id].OrderBy(c => c.Index).Select(c => new PreparedChunk(c.Index, c.Text, c.TokenCount, c.Embedding?.ToArray())).ToList())).ToList();
        return (prepared, documents.Sum(d => (long)System.Text.Encoding.UTF8.GetByteCount(d.Text)), prepared.Sum(d => (long)d.Chunks.Count));
    }
}
