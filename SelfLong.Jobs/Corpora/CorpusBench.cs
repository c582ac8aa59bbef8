using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Pgvector;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Corpora;

/// <summary>
/// `./selflong bench corpus`: ingestion throughput of the State of the Union sample against a raw
/// binary COPY of the same rows measured in the same run, and hybrid query latency and HNSW
/// recall@10 (against exact search) over 100k+ chunks made from both samples with small chunks.
/// The corpora it makes are deleted at the end.
/// </summary>
public sealed class CorpusBench(IDbContextFactory<SelfLongDbContext> dbFactory, NpgsqlDataSource dataSource, CorpusService corpora,
    IngestionService ingestion, IngestionJob ingestionJob, PgCorpusRetriever retriever, IOptions<CorporaOptions> options)
{
    /// <summary>Small chunks turn the two samples (about 2.4 M tokens) into more than 100 000 chunks.</summary>
    private const int QueryChunkTokens = 24;

    private static readonly int[] EfSearchSweep = [40, 100, 200, 400];

    public async Task<object> RunAsync(int queries, CancellationToken ct)
    {
        var made = new List<long>();
        try
        {
            var sotu = Path.Combine(DemoCorpora.SamplesDirectory, "sotu.jsonl.gz");
            var moby = Path.Combine(DemoCorpora.SamplesDirectory, "moby-dick.jsonl.gz");

            var ingestCorpus = await CreateAsync($"bench-ingest-{Guid.NewGuid():N}", 256, 32, made, ct);
            var ingestSeconds = await IngestAsync(ingestCorpus, [sotu], ct);
            var (documents, textBytes, chunkCount) = await LoadAsync(ingestCorpus.Id, ct);
            // The pipeline ends by building the HNSW index, which a raw COPY does not: time it alone too.
            var indexWatch = Stopwatch.StartNew();
            await using (var connection = await dataSource.OpenConnectionAsync(ct))
            {
                await ChunkVectorIndex.DropAsync(connection, ingestCorpus.Id, ct);
                await ChunkVectorIndex.EnsureAsync(connection, ingestCorpus.Id, ingestCorpus.EmbeddingDimension, ct);
            }
            var indexSeconds = indexWatch.Elapsed.TotalSeconds;

            var copyCorpus = await CreateAsync($"bench-copy-{Guid.NewGuid():N}", 256, 32, made, ct);
            var copyWatch = Stopwatch.StartNew();
            await using (var connection = await dataSource.OpenConnectionAsync(ct))
                await CorpusCopyWriter.WriteAsync(connection, copyCorpus.Id, null, copyCorpus.EmbeddingDimension, documents, ct);
            var copySeconds = copyWatch.Elapsed.TotalSeconds;

            var queryCorpus = await CreateAsync($"bench-query-{Guid.NewGuid():N}", QueryChunkTokens, 0, made, ct);
            var queryIngestSeconds = await IngestAsync(queryCorpus, [sotu, moby], ct);
            var queryChunks = (await corpora.GetAsync(queryCorpus.Id, ct))!.Chunks;
            var (p50, p95, recall) = await QueryAsync(queryCorpus, queries, ct);

            return new
            {
                area = "corpus",
                ingest = new
                {
                    sample = "sotu.jsonl.gz",
                    documents = documents.Count,
                    tokens = documents.Sum(d => (long)d.TokenCount),
                    chunks = chunkCount,
                    text_mb = Math.Round(textBytes / 1e6, 2),
                    seconds = Math.Round(ingestSeconds, 2),
                    chunks_per_s = Math.Round(chunkCount / ingestSeconds),
                    mb_per_s = Math.Round(textBytes / 1e6 / ingestSeconds, 2),
                    raw_copy_seconds = Math.Round(copySeconds, 2),
                    raw_copy_chunks_per_s = Math.Round(chunkCount / copySeconds),
                    ratio_to_raw_copy = Math.Round(copySeconds / ingestSeconds, 3),
                    hnsw_index_seconds = Math.Round(indexSeconds, 2),
                    ratio_to_raw_copy_without_index = Math.Round(copySeconds / Math.Max(0.001, ingestSeconds - indexSeconds), 3),
                    target_ratio = 0.5,
                },
                query = new
                {
                    chunks = queryChunks,
                    chunk_tokens = QueryChunkTokens,
                    ingest_seconds = Math.Round(queryIngestSeconds, 2),
                    queries,
                    hybrid_top10_p50_ms = Math.Round(p50, 2),
                    hybrid_top10_p95_ms = Math.Round(p95, 2),
                    hnsw_ef_search = options.Value.HnswEfSearch,
                    hnsw_recall_at_10 = Math.Round(recall[options.Value.HnswEfSearch], 4),
                    hnsw_recall_at_10_by_ef_search = recall.ToDictionary(r => r.Key.ToString(), r => Math.Round(r.Value, 4)),
                    target_recall = 0.95,
                },
            };
        }
        finally
        {
            foreach (var id in made) await corpora.DeleteAsync(id, CancellationToken.None);
        }
    }

    private async Task<CorpusSummary> CreateAsync(string name, int chunkTokens, int overlap, List<long> made, CancellationToken ct)
    {
        var (corpus, errors) = await corpora.CreateAsync(new CorpusSettings { Name = name, ChunkTokens = chunkTokens, ChunkOverlapTokens = overlap }, ct);
        if (corpus is null) throw new InvalidOperationException(string.Join(" ", errors.Values.SelectMany(v => v)));
        made.Add(corpus.Id);
        return corpus;
    }

    private async Task<double> IngestAsync(CorpusSummary corpus, string[] paths, CancellationToken ct)
    {
        var inputs = paths.Select(p => new IngestionInput(Path.GetFileName(p), p, new FileInfo(p).Length)).ToList();
        var run = await ingestion.StartAsync(corpus.Id, inputs, enqueue: false, ct);
        var watch = Stopwatch.StartNew();
        await ingestionJob.RunAsync(run.Id, ct);
        var status = (await ingestion.FindAsync(run.Id, ct))!.Status;
        if (status != RunStatus.Succeeded) throw new InvalidOperationException($"Bench ingestion ended {status}.");
        return watch.Elapsed.TotalSeconds;
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

    private async Task<(double P50, double P95, Dictionary<int, double> Recall)> QueryAsync(CorpusSummary corpus, int count, CancellationToken ct)
    {
        // Queries are a few words from chunks drawn with a fixed seed: realistic vocabulary, reproducible.
        var random = new Random(2024);
        var queries = new List<string>();
        while (queries.Count < count)
        {
            var chunk = await retriever.RandomChunkAsync(corpus.Id, random, ct);
            var words = chunk!.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 6) continue;
            var start = random.Next(words.Length - 5);
            queries.Add(string.Join(' ', words[start..(start + 5)]));
        }

        await retriever.SearchAsync(corpus.Id, queries[0], 10, RetrievalMode.Hybrid, ct);
        var latencies = new List<double>();
        foreach (var query in queries)
        {
            var watch = Stopwatch.StartNew();
            await retriever.SearchAsync(corpus.Id, query, 10, RetrievalMode.Hybrid, ct);
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }
        latencies.Sort();

        // A result counts as found when it is at least as near as the exact 10th neighbour: the
        // samples repeat sentences, and among equally near chunks any choice is right.
        var embedder = new LexicalEmbedder(corpus.EmbeddingDimension);
        var exact = new List<List<double>>();
        foreach (var query in queries) exact.Add(await ExactAsync(corpus, embedder.Embed(query), ct));
        var recall = new Dictionary<int, double>();
        foreach (var ef in EfSearchSweep.Append(options.Value.HnswEfSearch).Distinct())
        {
            double found = 0, possible = 0;
            for (var q = 0; q < queries.Count; q++)
            {
                if (exact[q].Count == 0) continue;
                var approximate = await retriever.VectorAsync(corpus.Id, queries[q], 10, ct, ef);
                var bound = exact[q][^1] + 1e-6;
                found += Math.Min(exact[q].Count, approximate.Count(c => 1 - c.Score <= bound));
                possible += exact[q].Count;
            }
            recall[ef] = possible == 0 ? 0 : found / possible;
        }
        return (Percentile(latencies, 0.50), Percentile(latencies, 0.95), recall);
    }

    /// <summary>Distances of the exact top 10 by a full scan (index scans off), the reference for recall.</summary>
    private async Task<List<double>> ExactAsync(CorpusSummary corpus, float[] query, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var off = new NpgsqlCommand("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off", connection, transaction))
            await off.ExecuteNonQueryAsync(ct);
        var expression = ChunkVectorIndex.Expression(corpus.EmbeddingDimension);
        await using var command = new NpgsqlCommand(
            $"SELECT {expression} <=> @q AS distance FROM chunks WHERE corpus_id = {corpus.Id} AND embedding IS NOT NULL ORDER BY distance LIMIT 10", connection, transaction);
        command.Parameters.AddWithValue("q", new Vector(query));
        var distances = new List<double>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) distances.Add(reader.GetDouble(0));
        return distances;
    }

    internal static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Clamp(Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
