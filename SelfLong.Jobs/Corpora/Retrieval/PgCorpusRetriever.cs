using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora.Retrieval;

/// <summary>
/// Top-k retrieval over one corpus in PostgreSQL: cosine distance on the corpus's HNSW index,
/// full-text rank on the GIN-indexed tsvector, or both fused by reciprocal rank fusion
/// (<see cref="ReciprocalRankFusion"/>). Each list is one round trip: a batch of the HNSW setting, a
/// check of the corpus's embedder and the query (RetrievalSql). A hybrid search runs its two lists
/// at once on two connections, so it waits for the slower list rather than for both in turn.
/// </summary>
public sealed class PgCorpusRetriever(NpgsqlDataSource dataSource, IDbContextFactory<SelfLongDbContext> dbFactory, CorpusEmbedders embedders,
    IOptions<CorporaOptions> options)
    : ICorpusRetriever
{
    public const int RrfK = ReciprocalRankFusion.K;

    public const string AnyWordQuery = RetrievalSql.AnyWordQuery;

    /// <summary>
    /// Each corpus's embedder settings, tuned ef_search, kind of HNSW index and the share its common
    /// words were measured at (the full-text list reads the words themselves from the row), so a query embeds without
    /// first reading the corpus row. The row is read again in the query's own batch and compared: a
    /// corpus re-embedded, re-tuned (or deleted) by another process is noticed on its next query, which is
    /// then run again with the fresh settings. No expiry to tune, and never a query embedded for
    /// the wrong dimension.
    /// </summary>
    private readonly ConcurrentDictionary<long, Corpus> corpora = new();

    public Task<IReadOnlyList<RetrievedChunk>> SearchAsync(long corpusId, string query, int topK,
        RetrievalMode mode = RetrievalMode.Hybrid, CancellationToken ct = default)
    {
        if (topK <= 0 || string.IsNullOrWhiteSpace(query)) return Task.FromResult<IReadOnlyList<RetrievedChunk>>([]);
        return mode switch
        {
            RetrievalMode.Vector => VectorAsync(corpusId, query, topK, ct),
            RetrievalMode.FullText => FullTextAsync(corpusId, query, topK, ct),
            _ => HybridAsync(corpusId, query, topK, ct),
        };
    }

    /// <summary>Both lists fused (RRF).</summary>
    /// <param name="efSearch">HNSW candidate list size; the corpus's tuned one, else the configured one, when null.</param>
    public async Task<IReadOnlyList<RetrievedChunk>> HybridAsync(long corpusId, string query, int topK, CancellationToken ct, int? efSearch = null)
    {
        // Each list is deeper than k so a chunk ranked moderately by both can rise to the top.
        var depth = Math.Max(topK * 4, 50);
        var vector = RunAsync(corpusId, query, depth, depth, RetrievalMode.Vector, efSearch, bounded: true, ct);
        var fullText = RunAsync(corpusId, query, depth, depth, RetrievalMode.FullText, null, bounded: true, ct);
        return ReciprocalRankFusion.Fuse(topK, await vector, await fullText);
    }

    /// <summary>Nearest chunks by cosine similarity (score = 1 - cosine distance).</summary>
    /// <param name="efSearch">HNSW candidate list size; the corpus's tuned one, else the configured one, when null.</param>
    public Task<IReadOnlyList<RetrievedChunk>> VectorAsync(long corpusId, string query, int topK, CancellationToken ct, int? efSearch = null) =>
        RunAsync(corpusId, query, topK, topK, RetrievalMode.Vector, efSearch, bounded: true, ct);

    /// <summary>Chunks matching any of the query's words, ranked by cover density (RetrievalSql.FullTextList).</summary>
    /// <param name="exhaustive">Rank every matching chunk rather than a bounded candidate set (the reference `bench corpus` compares with).</param>
    public Task<IReadOnlyList<RetrievedChunk>> FullTextAsync(long corpusId, string query, int topK, CancellationToken ct, bool exhaustive = false) =>
        RunAsync(corpusId, query, topK, topK, RetrievalMode.FullText, null, bounded: !exhaustive, ct);

    private async Task<IReadOnlyList<RetrievedChunk>> RunAsync(long corpusId, string query, int topK, int depth, RetrievalMode mode,
        int? efSearch, bool bounded, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var o = options.Value;
            var corpus = await CorpusAsync(corpusId, ct);
            if (corpus is not null && mode != RetrievalMode.Vector && !MeasuredAt(corpus, o.FullTextCommonShare))
                corpus = await MeasureCommonWordsAsync(corpus, o.FullTextCommonShare, ct);
            if (corpus is null) return [];
            var layout = VectorLayout.For(corpus);
            float[]? embedding = null;
            if (mode != RetrievalMode.FullText)
            {
                using var embedder = embedders.Create(corpus);
                embedding = (await embedder.GenerateAsync([query], cancellationToken: ct))[0].Vector.ToArray();
                if (embedding.All(x => x == 0)) embedding = null;
                if (embedding is null && mode == RetrievalMode.Vector) return [];
            }

            // The corpus's own ef_search (HnswEfSearchTuner) unless tuning was turned off since.
            var tuned = o.HnswTuneQueries > 0 ? corpus.HnswEfSearch : null;
            var (ef, vectorCandidates) = VectorEffort(efSearch ?? tuned ?? o.HnswEfSearch, depth, layout, o);
            var candidates = mode == RetrievalMode.Vector ? vectorCandidates : o.FullTextCandidates;

            var sql = mode == RetrievalMode.Vector
                ? RetrievalSql.VectorOnly(corpusId, RetrievalSql.VectorList(corpusId, layout, embedding is not null, depth, candidates))
                : RetrievalSql.FullTextOnly(corpusId, RetrievalSql.FullTextList(corpusId, bounded, depth, candidates, FillFor(depth, o)));

            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var batch = new NpgsqlBatch(connection);
            // One implicit transaction for the batch: set_config(..., true) holds for the query that follows only.
            var setting = new NpgsqlBatchCommand("SELECT set_config('hnsw.ef_search', @ef, true)");
            setting.Parameters.AddWithValue("ef", ef.ToString(System.Globalization.CultureInfo.InvariantCulture));
            batch.BatchCommands.Add(setting);
            var check = new NpgsqlBatchCommand("SELECT embedder_kind, embedder_base_url, embedder_model, embedder_api_key_protected, embedding_dimension, hnsw_ef_search, full_text_common_share, vector_index_half FROM corpora WHERE id = @corpus");
            check.Parameters.AddWithValue("corpus", corpusId);
            batch.BatchCommands.Add(check);
            var search = new NpgsqlBatchCommand(sql);
            if (embedding is not null) search.Parameters.AddWithValue("q", layout.Parameter(embedding));
            if (mode != RetrievalMode.Vector) search.Parameters.AddWithValue("query", query);
            batch.BatchCommands.Add(search);

            // Prepared once per connection and corpus (the SQL names the corpus): later queries skip planning.
            await batch.PrepareAsync(ct);
            await using var reader = await batch.ExecuteReaderAsync(ct);
            await reader.NextResultAsync(ct);
            var current = await reader.ReadAsync(ct) && SameSettings(corpus, reader);
            if (!current)
            {
                corpora.TryRemove(corpusId, out _);
                if (attempt == 0) continue;
                return [];
            }
            await reader.NextResultAsync(ct);
            var result = new List<RetrievedChunk>();
            while (await reader.ReadAsync(ct))
            {
                result.Add(new RetrievedChunk(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3),
                    reader.GetString(4), reader.GetInt32(5), Convert.ToDouble(reader.GetValue(6))));
            }
            return result;
        }
    }

    /// <summary>Rows of the corpus a full-text list reads when its candidates fall short: where a common word would be expected depth times.</summary>
    private static int FillFor(int depth, CorporaOptions o) => (int)Math.Min(1_000_000, Math.Ceiling(depth / Math.Max(o.FullTextCommonShare, 1e-6)));

    private static bool MeasuredAt(Corpus corpus, double share) => corpus.FullTextCommonWords is not null && corpus.FullTextCommonShare == share;

    /// <summary>
    /// The corpus read again after measuring and storing its common words: for a corpus loaded
    /// before they were measured at each load, or when the configured share has changed since.
    /// </summary>
    private async Task<Corpus?> MeasureCommonWordsAsync(Corpus corpus, double share, CancellationToken ct)
    {
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
            await CorpusCommonWords.MeasureAndStoreAsync(connection, corpus.Id, share, ct);
        corpora.TryRemove(corpus.Id, out _);
        return await CorpusAsync(corpus.Id, ct);
    }

    private async Task<Corpus?> CorpusAsync(long corpusId, CancellationToken ct)
    {
        if (corpora.TryGetValue(corpusId, out var cached)) return cached;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var corpus = await db.Corpora.AsNoTracking().SingleOrDefaultAsync(c => c.Id == corpusId, ct);
        if (corpus is not null) corpora[corpusId] = corpus;
        return corpus;
    }

    private static bool SameSettings(Corpus corpus, NpgsqlDataReader row) =>
        row.GetString(0) == corpus.EmbedderKind.ToString()
        && (row.IsDBNull(1) ? null : row.GetString(1)) == corpus.EmbedderBaseUrl
        && (row.IsDBNull(2) ? null : row.GetString(2)) == corpus.EmbedderModel
        && (row.IsDBNull(3) ? null : row.GetString(3)) == corpus.EmbedderApiKeyProtected
        && row.GetInt32(4) == corpus.EmbeddingDimension
        && (row.IsDBNull(5) ? null : row.GetInt32(5)) == corpus.HnswEfSearch
        && (row.IsDBNull(6) ? null : row.GetDouble(6)) == corpus.FullTextCommonShare
        && row.GetBoolean(7) == corpus.VectorIndexHalf;

    /// <summary>
    /// The hnsw.ef_search and candidates a vector list depth long runs with: at least twice its
    /// depth, at most pgvector's 1,000. Binary codes are coarse, so for them the index is asked for
    /// more candidates than are kept, re-ranked by exact distance (the oversampling recall@10 is
    /// measured with). A halfvec index differs from exact cosine only in the fourth digit or so:
    /// twice the depth, re-ranked, settles the chunks at the edge of the list. The tuner measures
    /// through this too, so it measures what searches run.
    /// </summary>
    public static (int EfSearch, int Candidates) VectorEffort(int efSearch, int depth, VectorLayout layout, CorporaOptions o)
    {
        var ef = Math.Max(efSearch, depth * 2);
        var candidates = layout.Kind == VectorIndexKind.BinaryQuantized ? Math.Max(ef, depth * o.BinaryRerankFactor)
            : layout.IndexesHalfCast ? depth * 2
            : depth;
        if (layout.Kind == VectorIndexKind.BinaryQuantized) ef = candidates;
        return (Math.Clamp(ef, 1, 1000), candidates);
    }

    /// <summary>Ids tried per draw before the draw settles for the next chunk at or after the first.</summary>
    private const int RandomChunkTries = 16;

    /// <summary>
    /// A chunk drawn uniformly: ids are tried at random between the corpus's first and last id (a
    /// walk of the (corpus_id, id) index each, so a draw costs the same at a million chunks as at
    /// six, where counting and skipping rows cost in proportion to the corpus). Ids of other
    /// corpora or of deleted chunks are misses; after <see cref="RandomChunkTries"/> misses in a
    /// row the next chunk at or after the first try is taken, which favours chunks after gaps, so
    /// only a corpus that holds under about a fifth of its id range strays from uniform.
    /// </summary>
    public async Task<RetrievedChunk?> RandomChunkAsync(long corpusId, Random random, CancellationToken ct = default)
    {
        var tries = new double[RandomChunkTries];
        for (var i = 0; i < tries.Length; i++) tries[i] = random.NextDouble();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(RetrievalSql.RandomChunk, connection);
        command.Parameters.AddWithValue("c", corpusId);
        command.Parameters.AddWithValue("tries", tries);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new RetrievedChunk(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4), reader.GetInt32(5), 0);
    }

    public async Task<CorpusDocument?> GetDocumentAsync(long documentId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Documents.AsNoTracking().Where(d => d.Id == documentId)
            .Select(d => new CorpusDocument(d.Id, d.Title, d.Text, d.TokenCount)).SingleOrDefaultAsync(ct);
    }
}
