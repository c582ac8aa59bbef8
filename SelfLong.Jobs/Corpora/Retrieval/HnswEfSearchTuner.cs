using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Npgsql;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora.Retrieval;

/// <summary>
/// What tuning found: the ef_search kept, the recall@10 it reached on <paramref name="Queries"/> of
/// the corpus's chunks, whether that met the target, and the recall of every ef_search tried.
/// </summary>
public sealed record EfSearchTuning(int EfSearch, double RecallAt10, int Queries, bool Reached, IReadOnlyDictionary<int, double> RecallByEfSearch,
    double Seconds);

/// <summary>
/// Chooses a corpus's own HNSW ef_search once its index is built. One value for every corpus is
/// wrong both ways: a corpus of 126K small chunks reaches recall@10 1.0 at ef_search 40 and pays
/// for 300, while a million chunks of 256 tokens stay under 0.95 at 400 (README, `bench corpus`).
/// The queries are five words from each of a seeded sample of the corpus's own chunks, embedded by
/// the corpus's embedder, as a search would embed them; each is searched exactly (all at once,
/// <see cref="ExactNearest"/>) and through the retriever's own vector list (the SQL and ef_search it
/// serves with) at each ef_search of <see cref="Ladder"/> in turn, and the first reaching the target
/// recall is kept, else the largest.
/// Not the chunks' own vectors: each is a node of the graph, linked to its nearest neighbours when
/// it was inserted, so HNSW finds them at any ef_search (recall 1.0 at 40 over 200,000 chunks, where
/// five-word queries got 0.57). Binary-quantized corpora are tuned the same way: their list's
/// candidates and re-ranking follow ef_search (PgCorpusRetriever.VectorEffort).
/// </summary>
public static class HnswEfSearchTuner
{
    /// <summary>ef_search values tried, smallest first, each about 1.6 times the last, up to HnswTuneMaxEfSearch; pgvector's most is 1,000.</summary>
    public static readonly IReadOnlyList<int> Ladder = [40, 64, 100, 160, 250, 400, 640, 1000];

    private const int K = 10;
    private const int QueryWords = 5;
    /// <summary>Fixed, so a corpus that has not changed is measured on the same chunks every time.</summary>
    private const int Seed = 1205;

    /// <summary>Tunes the corpus (unless tuning is off) and records the outcome on its row; null clears it.</summary>
    /// <param name="embedder">The corpus's embedder (searches embed their query with it).</param>
    public static async Task<EfSearchTuning?> TuneAndStoreAsync(NpgsqlDataSource dataSource, long corpusId,
        IEmbeddingGenerator<string, Embedding<float>> embedder, CorporaOptions options, CancellationToken ct)
    {
        var tuning = options.HnswTuneQueries == 0 ? null
            : await TuneAsync(dataSource, corpusId, embedder, options.HnswTuneQueries, options.HnswTuneTargetRecall, LadderFor(options), options, ct);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var store = new NpgsqlCommand(
            "UPDATE corpora SET hnsw_ef_search = @ef, hnsw_recall_at10 = @recall, hnsw_tune_queries = @queries WHERE id = @id", connection);
        store.Parameters.AddWithValue("ef", tuning is null ? DBNull.Value : tuning.EfSearch);
        store.Parameters.AddWithValue("recall", tuning is null ? DBNull.Value : tuning.RecallAt10);
        store.Parameters.AddWithValue("queries", tuning is null ? DBNull.Value : tuning.Queries);
        store.Parameters.AddWithValue("id", corpusId);
        await store.ExecuteNonQueryAsync(ct);
        return tuning;
    }

    /// <summary>
    /// <see cref="TuneAndStoreAsync"/> after the corpus's chunks and index are stored: a failure (say
    /// a remote embedder gone down since) must not fail the run that stored them. It is logged, and
    /// the corpus's tuned value is cleared, so its searches use HnswEfSearch until it is tuned again.
    /// </summary>
    public static async Task<EfSearchTuning?> TryTuneAndStoreAsync(NpgsqlDataSource dataSource, long corpusId,
        IEmbeddingGenerator<string, Embedding<float>> embedder, CorporaOptions options, ILogger logger, CancellationToken ct)
    {
        try
        {
            return await TuneAndStoreAsync(dataSource, corpusId, embedder, options, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Corpus {Corpus}: ef_search tuning failed; its searches use HnswEfSearch ({EfSearch}) until it is tuned again.",
                corpusId, options.HnswEfSearch);
            await TuneAndStoreAsync(dataSource, corpusId, embedder, new CorporaOptions { HnswTuneQueries = 0 }, ct);
            return null;
        }
    }

    /// <summary><see cref="Ladder"/> up to HnswTuneMaxEfSearch, which ends it.</summary>
    public static List<int> LadderFor(CorporaOptions options) =>
        [.. Ladder.Where(ef => ef < options.HnswTuneMaxEfSearch), options.HnswTuneMaxEfSearch];

    /// <summary>
    /// The smallest ef_search of <paramref name="ladder"/> reaching <paramref name="target"/>, else its
    /// largest; null for a corpus without vectors. Searched as the corpus's row says its index is
    /// laid out (<see cref="VectorLayout.ReadAsync"/>), as searches are.
    /// </summary>
    public static async Task<EfSearchTuning?> TuneAsync(NpgsqlDataSource dataSource, long corpusId,
        IEmbeddingGenerator<string, Embedding<float>> embedder, int queries, double target, IReadOnlyList<int> ladder, CorporaOptions options,
        CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        VectorLayout? layout;
        List<string> texts;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            layout = await VectorLayout.ReadAsync(connection, corpusId, ct);
            if (layout is null) return null;
            texts = await SampleAsync(connection, corpusId, layout, queries, ct);
        }
        if (texts.Count == 0) return null;
        // Queries of words the embedder gives no features (a zero vector) are not searched, as in the retriever.
        var vectors = (await embedder.GenerateAsync(texts, cancellationToken: ct)).Select(e => e.Vector.ToArray())
            .Where(v => v.Any(x => x != 0)).ToList();
        if (vectors.Count == 0) return null;
        var sample = vectors.Select(layout.Parameter).ToList();
        var exact = await ExactNearest.DistancesAsync(dataSource, corpusId, layout, vectors, K, ct);

        var recalls = new Dictionary<int, double>();
        foreach (var ef in ladder)
        {
            var (efSearch, candidates) = PgCorpusRetriever.VectorEffort(ef, K, layout, options);
            var served = RetrievalSql.VectorOnly(corpusId, RetrievalSql.VectorList(corpusId, layout, hasVector: true, K, candidates));
            var approximates = await SearchEachAsync(dataSource, served, sample, efSearch, ct);
            double found = 0, possible = 0;
            for (var q = 0; q < sample.Count; q++)
            {
                if (exact[q].Count == 0) continue;
                var approximate = approximates[q];
                // At least as near as the exact 10th counts as found: among equally near chunks
                // (repeated sentences) any choice is right. The slack covers float rounding: the
                // exact distances are computed here, the approximate ones by pgvector.
                var bound = exact[q][^1] + 1e-5;
                found += Math.Min(exact[q].Count, approximate.Count(d => d <= bound));
                possible += exact[q].Count;
            }
            recalls[ef] = possible == 0 ? 1 : found / possible;
            if (recalls[ef] >= target) return new EfSearchTuning(ef, recalls[ef], sample.Count, true, recalls, watch.Elapsed.TotalSeconds);
        }
        return new EfSearchTuning(ladder[^1], recalls[ladder[^1]], sample.Count, false, recalls, watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Five consecutive words (or all, when fewer) of each of up to <paramref name="queries"/>
    /// distinct chunks with vectors, drawn with a fixed seed between the corpus's first and last id
    /// (<see cref="RetrievalSql.CorpusIdRange"/>).
    /// </summary>
    private static async Task<List<string>> SampleAsync(NpgsqlConnection connection, long corpusId, VectorLayout layout, int queries,
        CancellationToken ct)
    {
        var filter = RetrievalSql.VectorFilter(corpusId, layout);
        long first, last;
        await using (var bounds = new NpgsqlCommand($"WITH {RetrievalSql.CorpusIdRange} SELECT lo, hi FROM bounds", connection))
        {
            bounds.Parameters.AddWithValue("c", corpusId);
            await using var reader = await bounds.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            if (reader.IsDBNull(0)) return [];
            (first, last) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        // Each draw takes the first chunk at or after a random id (a walk of the (corpus_id, id)
        // index); more draws than queries, as draws may land on the same chunk.
        var random = new Random(Seed);
        var draws = Enumerable.Range(0, queries * 4).Select(_ => random.NextInt64(first, last + 1)).ToArray();
        await using var command = new NpgsqlCommand($"""
            SELECT c.id, c.text FROM unnest(@draws) WITH ORDINALITY d(at, n)
            CROSS JOIN LATERAL (SELECT id, text FROM chunks WHERE {filter} AND id >= d.at ORDER BY id LIMIT 1) c
            ORDER BY d.n
            """, connection);
        command.Parameters.AddWithValue("draws", draws);
        var sample = new List<string>();
        var seen = new HashSet<long>();
        await using var rows = await command.ExecuteReaderAsync(ct);
        while (await rows.ReadAsync(ct) && sample.Count < queries)
        {
            if (!seen.Add(rows.GetInt64(0))) continue;
            var words = rows.GetString(1).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var start = random.Next(Math.Max(1, words.Length - QueryWords + 1));
            sample.Add(string.Join(' ', words.Skip(start).Take(QueryWords)));
        }
        return sample;
    }

    /// <summary>
    /// Searches run at once: one search keeps one server process busy, and tuning searches one at a
    /// time took about as long as half the HNSW build of a small corpus (0.9 s of a 9,521-chunk
    /// ingestion, measured), on a server with cores to spare.
    /// </summary>
    private const int Connections = 4;

    /// <summary>Each query's <see cref="NearestAsync"/> distances, in the queries' order, searched on up to <see cref="Connections"/> connections.</summary>
    private static async Task<List<double>[]> SearchEachAsync(NpgsqlDataSource dataSource, string sql, IReadOnlyList<object> vectors, int efSearch,
        CancellationToken ct)
    {
        var results = new List<double>[vectors.Count];
        var next = -1;
        async Task SearchAsync()
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            for (int q; (q = Interlocked.Increment(ref next)) < vectors.Count;)
                results[q] = await NearestAsync(connection, sql, vectors[q], efSearch, ct);
        }
        await Task.WhenAll(Enumerable.Range(0, Math.Min(Connections, vectors.Count)).Select(_ => SearchAsync()));
        return results;
    }

    /// <summary>Distances of the list's <see cref="K"/> chunks, nearest first.</summary>
    private static async Task<List<double>> NearestAsync(NpgsqlConnection connection, string sql, object vector, int efSearch, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection);
        // As the retriever sets it: for the statement that follows only (the batch is one transaction).
        var setting = new NpgsqlBatchCommand("SELECT set_config('hnsw.ef_search', @ef, true)");
        setting.Parameters.AddWithValue("ef", efSearch.ToString(System.Globalization.CultureInfo.InvariantCulture));
        batch.BatchCommands.Add(setting);
        var search = new NpgsqlBatchCommand(sql);
        search.Parameters.AddWithValue("q", vector);
        batch.BatchCommands.Add(search);
        batch.Timeout = 0;
        var distances = new List<double>();
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct)) distances.Add(1 - Convert.ToDouble(reader.GetValue(6)));
        return distances;
    }
}
