using SelfLong.Jobs.Corpora.Retrieval;

namespace SelfLong.Jobs.Corpora;

/// <summary>How `bench corpus` reports a query corpus (CorpusBench).</summary>
public static class CorpusBenchFigures
{
    /// <summary>
    /// The figures of one query corpus. Hybrid and vector latency are at the ef_search searches use
    /// (the corpus's tuned one when tuning is on), hybrid also at the configured one beside it.
    /// </summary>
    public static object Query(QueryFigures f, long chunks, int chunkTokens, int configured, EfSearchTuning? tuning, CorporaOptions o, object corpus,
        int targetP95) =>
        Query(f, chunks, chunkTokens, configured, tuning?.EfSearch ?? configured, tuning is null ? null : Tuned(tuning), o, corpus, targetP95);

    /// <summary>The figures of one query corpus searched at <paramref name="used"/>; <paramref name="tuned"/> says where that value came from.</summary>
    public static object Query(QueryFigures f, long chunks, int chunkTokens, int configured, int used, object? tuned, CorporaOptions o, object corpus,
        int targetP95)
    {
        return new
        {
            chunks,
            chunk_tokens = chunkTokens,
            corpus,
            queries = f.Queries,
            hybrid_top10_p50_ms = Math.Round(f.Hybrid.P50Ms, 2),
            hybrid_top10_p95_ms = Math.Round(f.Hybrid.P95Ms, 2),
            target_p95_ms = targetP95,
            hybrid_top10_first_queries_p50_p95_ms = new[] { Math.Round(f.HybridFirst.P50Ms, 2), Math.Round(f.HybridFirst.P95Ms, 2) },
            hybrid_top10_at_configured_ef_search_p50_p95_ms = new[] { Math.Round(f.HybridAtConfigured.P50Ms, 2), Math.Round(f.HybridAtConfigured.P95Ms, 2) },
            vector_top10_p50_p95_ms = new[] { Math.Round(f.Vector.P50Ms, 2), Math.Round(f.Vector.P95Ms, 2) },
            full_text_top10_p50_p95_ms = new[] { Math.Round(f.FullText.P50Ms, 2), Math.Round(f.FullText.P95Ms, 2) },
            hnsw_ef_search = used,
            hnsw_ef_search_configured = configured,
            hnsw_tuned = tuned,
            hnsw_build = new { m = o.HnswBuild.For(chunks).M, ef_construction = o.HnswBuild.For(chunks).EfConstruction },
            hnsw_index = f.Layout?.IndexDescription,
            hnsw_recall_at_10 = Math.Round(f.RecallByEfSearch[used], 4),
            hnsw_recall_at_10_by_ef_search = f.RecallByEfSearch.ToDictionary(r => r.Key.ToString(), r => Math.Round(r.Value, 4)),
            full_text_top10_agreement_with_exhaustive = Math.Round(f.FullTextTop10Agreement, 4),
            target_recall = o.HnswTuneTargetRecall,
        };
    }

    /// <summary>A tuning the bench ran and timed.</summary>
    private static object Tuned(EfSearchTuning tuning) => new
    {
        ef_search = tuning.EfSearch,
        recall_at_10 = Math.Round(tuning.RecallAt10, 4),
        queries_from_own_chunks = tuning.Queries,
        reached_target = tuning.Reached,
        seconds = Math.Round(tuning.Seconds, 2),
        recall_at_10_by_ef_search = tuning.RecallByEfSearch.ToDictionary(r => r.Key.ToString(), r => Math.Round(r.Value, 4)),
    };

    /// <summary>The tuning stored on a corpus the bench did not make (`bench corpus --corpus`).</summary>
    public static object? Stored(CorpusSummary corpus) => corpus.HnswEfSearch is not { } ef ? null : new
    {
        ef_search = ef,
        recall_at_10 = corpus.HnswRecallAt10 is { } r ? Math.Round(r, 4) : (double?)null,
        queries_from_own_chunks = corpus.HnswTuneQueries,
        stored = true,
    };
}
