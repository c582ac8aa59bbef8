using System.Diagnostics;
using Npgsql;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora;

/// <summary>What `bench corpus` measures on one query corpus.</summary>
/// <param name="Hybrid">At the ef_search searches use (the corpus's tuned one, else the configured one).</param>
/// <param name="HybridFirst">The same over the first queries the corpus gets in this process (other queries than the timed ones).</param>
/// <param name="HybridAtConfigured">At the configured HnswEfSearch, for comparison.</param>
/// <param name="Layout">The corpus's vectors and HNSW index as its row said when measured (null: the corpus is gone).</param>
public sealed record QueryFigures(int Queries, Latency Hybrid, Latency HybridFirst, Latency HybridAtConfigured, Latency Vector, Latency FullText,
    Dictionary<int, double> RecallByEfSearch, double FullTextTop10Agreement, VectorLayout? Layout);

/// <summary>Milliseconds per query at the median and the 95th percentile.</summary>
public sealed record Latency(double P50Ms, double P95Ms);

/// <summary>
/// Hybrid top-10 latency, HNSW recall@10 against exact search, and how often the bounded full-text
/// list's top 10 equals ranking every match, over queries of a few words from the corpus's own chunks.
/// </summary>
public sealed class CorpusBenchQueries(NpgsqlDataSource dataSource, PgCorpusRetriever retriever)
{
    public async Task<QueryFigures> MeasureAsync(CorpusSummary corpus, int count, IEnumerable<int> efSearch, int configuredEfSearch, CancellationToken ct)
    {
        var queries = await QueriesAsync(corpus.Id, count, 2024, ct);
        var first = await QueriesAsync(corpus.Id, count, 2025, ct);

        // The first queries after a load or a restart read the index and the rows into shared
        // buffers (and set the hint bits of rows just written): timed apart, over other queries, so
        // that every figure after them is of the same warm state and none is of answers just read.
        var hybridFirst = await TimeAsync(first, q => retriever.SearchAsync(corpus.Id, q, 10, RetrievalMode.Hybrid, ct));

        // Each list alone as well, so a slow hybrid query shows which side it waits on.
        var hybrid = await TimeAsync(queries, q => retriever.SearchAsync(corpus.Id, q, 10, RetrievalMode.Hybrid, ct));
        var hybridAtConfigured = await TimeAsync(queries, q => retriever.HybridAsync(corpus.Id, q, 10, ct, configuredEfSearch));
        var vector = await TimeAsync(queries, q => retriever.SearchAsync(corpus.Id, q, 10, RetrievalMode.Vector, ct));
        var fullText = await TimeAsync(queries, q => retriever.SearchAsync(corpus.Id, q, 10, RetrievalMode.FullText, ct));

        // A result counts as found when it is at least as near as the exact 10th neighbour: the
        // samples repeat sentences, and among equally near chunks any choice is right.
        var embedder = new LexicalEmbedder(corpus.EmbeddingDimension);
        var exact = await ExactNearest.DistancesAsync(dataSource, corpus.Id, new VectorLayout(corpus.EmbeddingDimension),
            [.. queries.Select(embedder.Embed)], 10, ct);
        var recall = new Dictionary<int, double>();
        foreach (var ef in efSearch.Distinct())
        {
            double found = 0, possible = 0;
            for (var q = 0; q < queries.Count; q++)
            {
                if (exact[q].Count == 0) continue;
                var approximate = await retriever.VectorAsync(corpus.Id, queries[q], 10, ct, ef);
                // The slack covers float rounding: exact distances are computed in this process, the retriever's by pgvector.
                var bound = exact[q][^1] + 1e-5;
                found += Math.Min(exact[q].Count, approximate.Count(c => 1 - c.Score <= bound));
                possible += exact[q].Count;
            }
            recall[ef] = possible == 0 ? 0 : found / possible;
        }

        // Same rule for full text: a bounded result counts when it scores at least the exhaustive 10th.
        double agreeing = 0, listed = 0;
        foreach (var query in queries)
        {
            var all = await retriever.FullTextAsync(corpus.Id, query, 10, ct, exhaustive: true);
            if (all.Count == 0) continue;
            var bounded = await retriever.FullTextAsync(corpus.Id, query, 10, ct);
            agreeing += Math.Min(all.Count, bounded.Count(c => c.Score >= all[^1].Score - 1e-6));
            listed += all.Count;
        }
        VectorLayout? layout;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
            layout = await VectorLayout.ReadAsync(connection, corpus.Id, ct);
        return new QueryFigures(count, hybrid, hybridFirst, hybridAtConfigured, vector, fullText, recall, listed == 0 ? 0 : agreeing / listed, layout);
    }

    /// <summary>Queries of five words from chunks drawn with a fixed seed: realistic vocabulary, reproducible.</summary>
    private async Task<List<string>> QueriesAsync(long corpusId, int count, int seed, CancellationToken ct)
    {
        var random = new Random(seed);
        var queries = new List<string>();
        while (queries.Count < count)
        {
            var chunk = await retriever.RandomChunkAsync(corpusId, random, ct);
            var words = chunk!.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 6) continue;
            var start = random.Next(words.Length - 5);
            queries.Add(string.Join(' ', words[start..(start + 5)]));
        }
        return queries;
    }

    /// <summary>Latency over the queries, after one untimed query (connections opened, statements prepared).</summary>
    private static async Task<Latency> TimeAsync(List<string> queries, Func<string, Task> search)
    {
        await search(queries[0]);
        var latencies = new List<double>();
        foreach (var query in queries)
        {
            var watch = Stopwatch.StartNew();
            await search(query);
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }
        latencies.Sort();
        return new Latency(Percentile(latencies, 0.50), Percentile(latencies, 0.95));
    }

    internal static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Clamp(Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
