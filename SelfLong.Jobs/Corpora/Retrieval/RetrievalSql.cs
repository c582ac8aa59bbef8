using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora.Retrieval;

/// <summary>
/// The SQL of one ranked list, one statement each: the vector list <c>vec(id, rank, distance)</c>
/// or the full-text list <c>txt(id, rank, score)</c> as common table expressions, with the rows of
/// the chunks they hold. A hybrid search runs both at once and fuses them (ReciprocalRankFusion).
/// Parameters: @q (the query vector), @query (its text).
/// <para>
/// The lengths (depth, candidates, fill) are literals, not parameters. The retriever prepares its
/// statements, and a prepared statement's generic plan prices a parameter LIMIT at a tenth of the
/// table, so PostgreSQL kept planning each execution anew: 8 to 14 ms of planning per list at a
/// million chunks, against 30 ms for the HNSW walk itself (measured). With literals the generic
/// plan is the custom plan's shape, and it is kept after the fifth execution.
/// </para>
/// </summary>
public static class RetrievalSql
{
    /// <summary>SQL for a tsquery OR-ing the stemmed words of parameter @query (null when it has none).</summary>
    public const string AnyWordQuery = "(SELECT string_agg(quote_literal(w), ' | ') FROM unnest(tsvector_to_array(to_tsvector('english', @query))) w)::tsquery";

    /// <summary>
    /// The nearest chunks by cosine distance. The corpus id and dimension are literals so the
    /// planner matches the corpus's partial HNSW index (ChunkVectorIndex). Where the index orders
    /// by an approximation (Hamming distance of binary codes, or cosine on a halfvec cast), the list
    /// takes <paramref name="candidates"/> from it (at least <paramref name="depth"/>), then keeps
    /// the <paramref name="depth"/> nearest by exact cosine on the stored vector (the re-ranking
    /// that restores recall).
    /// </summary>
    public static string VectorList(long corpusId, VectorLayout layout, bool hasVector, int depth, int candidates)
    {
        if (!hasVector) return "vec AS (SELECT NULL::bigint AS id, NULL::bigint AS rank, NULL::float8 AS distance WHERE false)";
        var filter = VectorFilter(corpusId, layout);
        var nearest = layout.Reranks
            ? $"""
              SELECT id, {layout.ExactDistance("@q")} AS distance
              FROM (SELECT id, {layout.Column} FROM chunks WHERE {filter} ORDER BY {layout.IndexOrder("@q")} LIMIT {Math.Max(candidates, depth)}) b
              ORDER BY distance, id LIMIT {depth}
              """
            : $"SELECT id, {layout.ExactDistance("@q")} AS distance FROM chunks WHERE {filter} ORDER BY {layout.IndexOrder("@q")} LIMIT {depth}";
        return $"""
            vec AS (SELECT id, row_number() OVER (ORDER BY distance, id) AS rank, distance
                    FROM ({nearest}) v)
            """;
    }

    /// <summary>The chunks a vector list searches: the corpus's, with a vector of its dimension (its HNSW index's predicate).</summary>
    public static string VectorFilter(long corpusId, VectorLayout layout) =>
        $"corpus_id = {corpusId} AND dimension = {layout.Dimension} AND {layout.Column} IS NOT NULL";

    /// <summary>
    /// Chunks matching any of the query's words (English stemming, stop words dropped), ranked by
    /// cover density over all of them. Any word, not all: an instruction used as a query rarely has
    /// every word in one chunk. Ranking every match costs time in proportion to the corpus, so when
    /// bounded only candidates are ranked, taken straight off the GIN index without sorting:
    /// <list type="bullet">
    /// <item>Words in more than a share of the corpus's chunks (measured on a sample of them after
    /// each load and stored on the corpus, <see cref="CorpusCommonWords"/>) bring no candidates by themselves. A GIN scan reads a word's whole
    /// posting list before the first row comes back, so one such word costs in proportion to the
    /// corpus, while it hardly tells chunks apart (BM25 gives it an IDF near zero). They still
    /// count in every candidate's rank.</item>
    /// <item>Up to <paramref name="candidates"/> chunks holding all the other words but at most one
    /// (the ones cover density ranks highest), and up to as many holding any of them. When both
    /// word queries are one (no uncommon word, or a single one), only the first is read. A query
    /// of a single common word reads none: the chunks holding it come first in table order either
    /// way (a bitmap scan returns rows in table order), and its posting list can hold half the
    /// corpus (90 ms for half a million entries at a million chunks, measured).</item>
    /// <item>When those find fewer than <paramref name="depth"/> chunks (a query of common words
    /// only, or of other words that are absent), up to <paramref name="candidates"/> of the corpus's
    /// first <paramref name="fill"/> chunks in table order that hold any word are ranked with them:
    /// depth / share rows, where a common word would be expected depth times. A bounded walk of the
    /// (corpus_id, id) index, never a posting list.</item>
    /// </list>
    /// `bench corpus` reports how often the bounded top 10 equals ranking every match.
    /// </summary>
    public static string FullTextList(long corpusId, bool bounded, int depth, int candidates, int fill)
    {
        candidates = Math.Max(candidates, depth);
        const string rank = "ts_rank_cd(search_vector, (SELECT tsq FROM q))";
        var scan = $"SELECT id, {rank} AS score FROM chunks WHERE corpus_id = {corpusId} AND search_vector @@";
        var matches = bounded
            ? $"""
              SELECT * FROM found
              UNION (SELECT id, {rank} AS score
                     FROM (SELECT id, search_vector FROM chunks WHERE corpus_id = {corpusId} AND (SELECT count(*) FROM found) < {depth}
                           ORDER BY id LIMIT {fill}) first_rows
                     WHERE search_vector @@ (SELECT tsq FROM q) LIMIT {candidates})
              """
            : $"{scan} (SELECT tsq FROM q)";
        var found = bounded
            ? $"found AS MATERIALIZED (({scan} (SELECT tsq_most FROM q) AND (SELECT read_lists FROM q) LIMIT {candidates}) " +
              $"UNION ({scan} (SELECT tsq_rare FROM q) AND (SELECT read_lists AND tsq_rare <> tsq_most FROM q) LIMIT {candidates})),"
            : "";
        return $"""
            {CommonWords(corpusId)},
            words AS MATERIALIZED (SELECT w, NOT EXISTS (SELECT 1 FROM common c WHERE c.lexeme = w) AS rare
                                   FROM unnest(tsvector_to_array(to_tsvector('english', @query))) w),
            q AS MATERIALIZED ({WordQueries}),
            {found}
            txt AS (SELECT id, row_number() OVER (ORDER BY score DESC, id) AS rank, score
                    FROM ({matches}) s
                    ORDER BY rank LIMIT {depth})
            """;
    }

    /// <summary>
    /// The corpus's common lexemes as stored on its row (<see cref="CorpusCommonWords"/>), read in the
    /// statement: a large corpus has a thousand of them, which a parameter would send with every query.
    /// </summary>
    private static string CommonWords(long corpusId) =>
        $"common AS (SELECT unnest(coalesce(full_text_common_words, ARRAY[]::text[])) AS lexeme FROM corpora WHERE id = {corpusId})";

    /// <summary>
    /// tsq: every word OR-ed (ranking and the exhaustive list); tsq_rare: the uncommon words OR-ed;
    /// tsq_most: chunks holding every uncommon word but at most one, the OR over each word left out
    /// of the AND of the others ('a' &amp; 'b' | 'a' &amp; 'c' | 'b' &amp; 'c'), with all of them when there
    /// are fewer than three. With no uncommon word, both of these are the AND of every word.
    /// read_lists: whether the bounded list reads them (not for a single common word).
    /// </summary>
    private const string WordQueries = """
        SELECT (SELECT string_agg(quote_literal(w), ' | ') FROM words)::tsquery AS tsq,
               (CASE WHEN cardinality(r) = 0 THEN (SELECT string_agg(quote_literal(w), ' & ') FROM words)
                     ELSE (SELECT string_agg(quote_literal(w), ' | ') FROM unnest(r) w) END)::tsquery AS tsq_rare,
               (CASE WHEN cardinality(r) = 0 THEN (SELECT string_agg(quote_literal(w), ' & ') FROM words)
                     WHEN cardinality(r) < 3 THEN (SELECT string_agg(quote_literal(w), ' & ') FROM unnest(r) w)
                     ELSE (SELECT string_agg('(' || (SELECT string_agg(quote_literal(o), ' & ') FROM unnest(r) o WHERE o <> w) || ')', ' | ')
                           FROM unnest(r) w) END)::tsquery AS tsq_most,
               cardinality(r) > 0 OR (SELECT count(*) FROM words) > 1 AS read_lists
        FROM (SELECT coalesce(array_agg(w) FILTER (WHERE rare), '{}') AS r FROM words) uncommon
        """;

    /// <summary>
    /// bounds(lo, hi): the first and last chunk id of corpus @c, both null when it has none. Read by
    /// row-comparison seeks of the (corpus_id, id) index: written as min(id) or ORDER BY id, the
    /// planner may walk the primary key through other corpora's rows instead (60 to 200 ms beside a
    /// million-chunk corpus whose statistics were not yet refreshed).
    /// </summary>
    public const string CorpusIdRange = """
        bounds AS MATERIALIZED (SELECT (SELECT id FROM chunks WHERE (corpus_id, id) >= (@c, -9223372036854775808) AND corpus_id = @c
                                ORDER BY corpus_id, id LIMIT 1) AS lo,
                               (SELECT id FROM chunks WHERE (corpus_id, id) <= (@c, 9223372036854775807) AND corpus_id = @c
                                ORDER BY corpus_id DESC, id DESC LIMIT 1) AS hi)
        """;

    /// <summary>
    /// One chunk of corpus @c (PgCorpusRetriever.RandomChunkAsync): the first of the ids at
    /// fractions @tries of its id range that is the corpus's, else the corpus's next chunk at or
    /// after the first try. UNION ALL with LIMIT runs its second branch only when the first is empty.
    /// The fallback seeks the (corpus_id, id) index by row comparison too (<see cref="CorpusIdRange"/>).
    /// </summary>
    public const string RandomChunk = $"""
        WITH {CorpusIdRange},
        tries AS (SELECT t.n, b.lo + least(floor(t.f * (b.hi - b.lo + 1))::bigint, b.hi - b.lo) AS id
                  FROM bounds b, unnest(@tries::float8[]) WITH ORDINALITY AS t(f, n) WHERE b.lo IS NOT NULL),
        pick AS ((SELECT c.id FROM tries t JOIN chunks c ON c.id = t.id AND c.corpus_id = @c ORDER BY t.n LIMIT 1)
                 UNION ALL
                 (SELECT id FROM chunks WHERE (corpus_id, id) >= (@c, (SELECT id FROM tries WHERE n = 1)) AND corpus_id = @c
                  ORDER BY corpus_id, id LIMIT 1)
                 LIMIT 1)
        SELECT c.id, c.document_id, d.title, c.index, c.text, c.token_count, 0
        FROM pick p JOIN chunks c ON c.corpus_id = @c AND c.id = p.id JOIN documents d ON d.id = c.document_id
        """;

    public static string VectorOnly(long corpusId, string vectorList) => $"WITH {vectorList}\n{Rows(corpusId, "vec", "1 - l.distance", "l.rank")}";

    public static string FullTextOnly(long corpusId, string fullTextList) => $"WITH {fullTextList}\n{Rows(corpusId, "txt", "l.score", "l.rank")}";

    /// <summary>
    /// The listed chunks' rows, each looked up by its key in the corpus's partition (the corpus id is
    /// written out so only that partition is read, ChunkPartitions). A lateral lookup rather than a
    /// join: joined, the planner priced the list at thousands of rows and hashed the whole
    /// partition, 10.9 ms against 2.7 ms for a list of 50 over 9,521 chunks (measured).
    /// </summary>
    private static string Rows(long corpusId, string list, string score, string order) => $"""
        SELECT c.id, c.document_id, d.title, c.index, c.text, c.token_count, {score}
        FROM {list} l
        CROSS JOIN LATERAL (SELECT id, document_id, index, text, token_count FROM chunks WHERE corpus_id = {corpusId} AND id = l.id LIMIT 1) c
        JOIN documents d ON d.id = c.document_id
        ORDER BY {order}
        """;
}
