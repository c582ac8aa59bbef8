using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Pgvector;
using SelfLong.Data;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora.Retrieval;

/// <summary>
/// Top-k retrieval over one corpus in PostgreSQL: cosine distance on the corpus's HNSW index,
/// full-text rank on the GIN-indexed tsvector, or both fused by reciprocal rank fusion
/// (Cormack et al., 2009: score = sum over lists of 1 / (60 + rank)).
/// </summary>
public sealed class PgCorpusRetriever(NpgsqlDataSource dataSource, IDbContextFactory<SelfLongDbContext> dbFactory, CorpusEmbedders embedders,
    IOptions<CorporaOptions> options)
    : ICorpusRetriever
{
    public const int RrfK = 60;

    public async Task<IReadOnlyList<RetrievedChunk>> SearchAsync(long corpusId, string query, int topK,
        RetrievalMode mode = RetrievalMode.Hybrid, CancellationToken ct = default)
    {
        if (topK <= 0 || string.IsNullOrWhiteSpace(query)) return [];
        return mode switch
        {
            RetrievalMode.Vector => await VectorAsync(corpusId, query, topK, ct),
            RetrievalMode.FullText => await FullTextAsync(corpusId, query, topK, ct),
            _ => await HybridAsync(corpusId, query, topK, ct),
        };
    }

    private async Task<IReadOnlyList<RetrievedChunk>> HybridAsync(long corpusId, string query, int topK, CancellationToken ct)
    {
        // Each list is deeper than k so a chunk ranked moderately by both can rise to the top.
        var depth = Math.Max(topK * 4, 50);
        var vector = await VectorAsync(corpusId, query, depth, ct);
        var fullText = await FullTextAsync(corpusId, query, depth, ct);
        return Fuse(topK, vector, fullText);
    }

    /// <summary>Reciprocal rank fusion of ranked lists; ties keep the earlier list's order.</summary>
    public static IReadOnlyList<RetrievedChunk> Fuse(int topK, params IReadOnlyList<RetrievedChunk>[] lists)
    {
        var scores = new Dictionary<long, (RetrievedChunk Chunk, double Score, int Best)>();
        foreach (var list in lists)
        {
            for (var rank = 0; rank < list.Count; rank++)
            {
                var chunk = list[rank];
                var add = 1.0 / (RrfK + rank + 1);
                scores[chunk.ChunkId] = scores.TryGetValue(chunk.ChunkId, out var seen)
                    ? (seen.Chunk, seen.Score + add, Math.Min(seen.Best, rank))
                    : (chunk, add, rank);
            }
        }
        return scores.Values.OrderByDescending(s => s.Score).ThenBy(s => s.Best).ThenBy(s => s.Chunk.ChunkId).Take(topK)
            .Select(s => s.Chunk with { Score = s.Score }).ToList();
    }

    /// <summary>Nearest chunks by cosine similarity (score = 1 - cosine distance).</summary>
    /// <param name="efSearch">HNSW candidate list size; the configured one when null.</param>
    public async Task<IReadOnlyList<RetrievedChunk>> VectorAsync(long corpusId, string query, int topK, CancellationToken ct, int? efSearch = null)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var corpus = await db.Corpora.AsNoTracking().SingleOrDefaultAsync(c => c.Id == corpusId, ct);
        if (corpus is null) return [];
        using var embedder = embedders.Create(corpus);
        var embedding = (await embedder.GenerateAsync([query], cancellationToken: ct))[0].Vector.ToArray();
        if (embedding.All(x => x == 0)) return [];

        var dimension = corpus.EmbeddingDimension;
        var expression = ChunkVectorIndex.Expression(dimension);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // The expression and the corpus_id predicate are written out as literals so the planner
        // matches the corpus's partial HNSW index; ef_search must be at least k to return k rows.
        await using (var set = new NpgsqlCommand($"SET LOCAL hnsw.ef_search = {Math.Clamp(Math.Max(efSearch ?? options.Value.HnswEfSearch, topK * 2), 1, 1000)}", connection, transaction))
            await set.ExecuteNonQueryAsync(ct);
        await using var command = new NpgsqlCommand($"""
            SELECT c.id, c.document_id, d.title, c.index, c.text, c.token_count, 1 - c.distance
            FROM (SELECT id, document_id, index, text, token_count, {expression} <=> @q AS distance
                  FROM chunks WHERE corpus_id = {corpusId} AND dimension = {dimension} AND embedding IS NOT NULL
                  ORDER BY {expression} <=> @q LIMIT @k) c
            JOIN documents d ON d.id = c.document_id
            ORDER BY c.distance, c.id
            """, connection, transaction);
        command.Parameters.AddWithValue("q", new Vector(embedding));
        command.Parameters.AddWithValue("k", topK);
        var result = await ReadAsync(command, ct);
        await transaction.CommitAsync(ct);
        return result;
    }

    /// <summary>
    /// Chunks matching any of the query's words (English stemming, stop words dropped), ranked by
    /// cover density. Any word, not all: an instruction used as a query rarely has every word in one chunk.
    /// </summary>
    public async Task<IReadOnlyList<RetrievedChunk>> FullTextAsync(long corpusId, string query, int topK, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"""
            WITH q AS (SELECT {AnyWordQuery} AS tsq)
            SELECT c.id, c.document_id, d.title, c.index, c.text, c.token_count, ts_rank_cd(c.search_vector, q.tsq) AS score
            FROM q, chunks c JOIN documents d ON d.id = c.document_id
            WHERE c.corpus_id = @corpus AND c.search_vector @@ q.tsq
            ORDER BY score DESC, c.id
            LIMIT @k
            """, connection);
        command.Parameters.AddWithValue("query", query);
        command.Parameters.AddWithValue("corpus", corpusId);
        command.Parameters.AddWithValue("k", topK);
        return await ReadAsync(command, ct);
    }

    /// <summary>SQL for a tsquery OR-ing the stemmed words of parameter @query (null when it has none).</summary>
    public const string AnyWordQuery =
        "(SELECT string_agg(quote_literal(w), ' | ') FROM unnest(tsvector_to_array(to_tsvector('english', @query))) w)::tsquery";

    public async Task<RetrievedChunk?> RandomChunkAsync(long corpusId, Random random, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM chunks WHERE corpus_id = @c", connection);
        count.Parameters.AddWithValue("c", corpusId);
        var total = (long)(await count.ExecuteScalarAsync(ct))!;
        if (total == 0) return null;
        // Ordered by id so the same seed draws the same chunk while the corpus is unchanged.
        await using var command = new NpgsqlCommand("""
            SELECT c.id, c.document_id, d.title, c.index, c.text, c.token_count, 0
            FROM chunks c JOIN documents d ON d.id = c.document_id
            WHERE c.id = (SELECT id FROM chunks WHERE corpus_id = @c ORDER BY id OFFSET @o LIMIT 1)
            """, connection);
        command.Parameters.AddWithValue("c", corpusId);
        command.Parameters.AddWithValue("o", random.NextInt64(total));
        return (await ReadAsync(command, ct)).SingleOrDefault();
    }

    public async Task<CorpusDocument?> GetDocumentAsync(long documentId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Documents.AsNoTracking().Where(d => d.Id == documentId)
            .Select(d => new CorpusDocument(d.Id, d.Title, d.Text, d.TokenCount)).SingleOrDefaultAsync(ct);
    }

    private static async Task<List<RetrievedChunk>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var result = new List<RetrievedChunk>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add(new RetrievedChunk(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetString(4), reader.GetInt32(5), Convert.ToDouble(reader.GetValue(6))));
        }
        return result;
    }
}
