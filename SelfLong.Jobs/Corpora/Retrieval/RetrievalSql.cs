using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora.Retrieval;

/// <summary>
/// The SQL of one retrieval: the vector list <c>vec(id, rank, distance)</c> and the full-text list
/// <c>txt(id, rank, score)</c> as common table expressions, fused by reciprocal rank fusion in the
/// same statement, so a hybrid query is one statement and one round trip. Parameters: @q (the
/// query vector), @query (its text), @depth (length of each list), @candidates, @k.
/// </summary>
internal static class RetrievalSql
{
    /// <summary>Cormack et al. (2009): a chunk scores the sum over lists of 1 / (60 + rank), ranks from 1.</summary>
    public const int RrfK = 60;

    /// <summary>SQL for a tsquery OR-ing the stemmed words of parameter @query (null when it has none).</summary>
    public const string AnyWordQuery = "(SELECT string_agg(quote_literal(w), ' | ') FROM unnest(tsvector_to_array(to_tsvector('english', @query))) w)::tsquery";

    /// <summary>
    /// The nearest chunks by cosine distance. The corpus id and dimension are literals so the
    /// planner matches the corpus's partial HNSW index (ChunkVectorIndex). Binary-quantized
    /// corpora take @candidates by Hamming distance from the index, then keep the @depth nearest
    /// by exact cosine on the stored halfvec (the re-ranking that restores recall).
    /// </summary>
    public static string VectorList(long corpusId, VectorLayout layout, bool hasVector)
    {
        if (!hasVector) return "vec AS (SELECT NULL::bigint AS id, NULL::bigint AS rank, NULL::float8 AS distance WHERE false)";
        var filter = $"corpus_id = {corpusId} AND dimension = {layout.Dimension} AND {layout.Column} IS NOT NULL";
        var nearest = layout.Kind == VectorIndexKind.BinaryQuantized
            ? $"""
              SELECT id, {layout.ExactDistance("@q")} AS distance
              FROM (SELECT id, {layout.Column} FROM chunks WHERE {filter} ORDER BY {layout.IndexOrder("@q")} LIMIT @candidates) b
              ORDER BY distance, id LIMIT @depth
              """
            : $"SELECT id, {layout.ExactDistance("@q")} AS distance FROM chunks WHERE {filter} ORDER BY {layout.IndexOrder("@q")} LIMIT @depth";
        return $"""
            vec AS (SELECT id, row_number() OVER (ORDER BY distance, id) AS rank, distance
                    FROM ({nearest}) v)
            """;
    }

    /// <summary>
    /// Chunks matching any of the query's words (English stemming, stop words dropped), ranked by
    /// cover density. Any word, not all: an instruction used as a query rarely has every word in
    /// one chunk. Ranking every match costs time in proportion to the corpus (a common word
    /// matches a large share of it), so when bounded only candidates are ranked: up to @candidates
    /// chunks holding all the query's words but at most one (the ones cover density ranks highest)
    /// and up to @candidates holding any. Both come straight off the GIN index without sorting,
    /// and are ranked in the same scan; `bench corpus` reports how often the bounded top 10 equals
    /// the exhaustive one.
    /// </summary>
    public static string FullTextList(long corpusId, bool bounded)
    {
        const string rank = "ts_rank_cd(search_vector, (SELECT tsq FROM q))";
        var scan = $"SELECT id, {rank} AS score FROM chunks WHERE corpus_id = {corpusId} AND search_vector @@";
        var matches = bounded
            ? $"({scan} (SELECT tsq_most FROM q) LIMIT @candidates) UNION ({scan} (SELECT tsq FROM q) LIMIT @candidates)"
            : $"{scan} (SELECT tsq FROM q)";
        return $"""
            q AS MATERIALIZED (SELECT {AnyWordQuery} AS tsq, {AllButOneWordQuery} AS tsq_most),
            txt AS (SELECT id, row_number() OVER (ORDER BY score DESC, id) AS rank, score
                    FROM ({matches}) s
                    ORDER BY rank LIMIT @depth)
            """;
    }

    /// <summary>
    /// A tsquery for chunks holding every word of @query but at most one: the OR over each word
    /// left out of the AND of the others ('a' &amp; 'b' | 'a' &amp; 'c' | 'b' &amp; 'c'); with all
    /// the words when there are fewer than three.
    /// </summary>
    private const string AllButOneWordQuery = """
        (SELECT CASE WHEN cardinality(ws) < 3 THEN (SELECT string_agg(quote_literal(w), ' & ') FROM unnest(ws) w)
                     ELSE (SELECT string_agg('(' || (SELECT string_agg(quote_literal(o), ' & ') FROM unnest(ws) o WHERE o <> w) || ')', ' | ')
                           FROM unnest(ws) w) END
         FROM (SELECT tsvector_to_array(to_tsvector('english', @query)) AS ws) words)::tsquery
        """;

    /// <summary>Both lists fused: score = sum of 1 / (60 + rank); ties go to the better single rank, then the lower id.</summary>
    public static string Hybrid(string vectorList, string fullTextList) => $"""
        WITH {vectorList},
        {fullTextList},
        fused AS (SELECT id, sum(1.0::float8 / ({RrfK} + rank)) AS score, min(rank) AS best
                  FROM (SELECT id, rank FROM vec UNION ALL SELECT id, rank FROM txt) r
                  GROUP BY id ORDER BY score DESC, best, id LIMIT @k)
        {Rows("fused", "l.score", "l.score DESC, l.best, l.id")}
        """;

    public static string VectorOnly(string vectorList) => $"WITH {vectorList}\n{Rows("vec", "1 - l.distance", "l.rank")}";

    public static string FullTextOnly(string fullTextList) => $"WITH {fullTextList}\n{Rows("txt", "l.score", "l.rank")}";

    private static string Rows(string list, string score, string order) => $"""
        SELECT c.id, c.document_id, d.title, c.index, c.text, c.token_count, {score}
        FROM {list} l JOIN chunks c ON c.id = l.id JOIN documents d ON d.id = c.document_id
        ORDER BY {order}
        """;
}
