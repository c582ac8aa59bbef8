using Npgsql;

namespace SelfLong.Jobs.Corpora.Retrieval;

/// <summary>
/// A corpus's common lexemes: those in more than a share (FullTextCommonShare) of a sample of its
/// own chunks, stored on the corpus. The bounded full-text list takes no candidates from them
/// (RetrievalSql.FullTextList): a GIN scan reads a word's whole posting list before its first row.
/// </summary>
/// <remarks>
/// Per corpus, not from ANALYZE's most common elements of the whole table: beside a million-chunk
/// corpus, the table-wide list grew from 31 to 357 lexemes, words common there but rare in a small
/// corpus stopped bringing that corpus candidates, and its bounded full-text top 10 agreed with
/// ranking every match in 0.62 of queries instead of 0.84 (measured). Sampling also spares the
/// load a whole-table ANALYZE of the text columns (ChunkTableSettle).
/// </remarks>
public static class CorpusCommonWords
{
    /// <summary>
    /// Chunks read: all of a smaller corpus. A word at the default 2 % is then in about 60 of them,
    /// so the sample rarely puts it on the wrong side of the line.
    /// </summary>
    public const int SampleChunks = 3000;

    /// <summary>
    /// Up to @sample distinct ids drawn in the corpus's id range (every id of a range no longer than
    /// that), the chunks among them that are the corpus's, and their lexemes in more than @share of
    /// those chunks, stored on the corpus.
    /// </summary>
    private const string MeasureSql = $"""
        WITH {RetrievalSql.CorpusIdRange},
        ids AS (SELECT DISTINCT CASE WHEN b.hi - b.lo < @sample THEN b.lo + g - 1
                                     ELSE b.lo + floor(random() * (b.hi - b.lo + 1))::bigint END AS id
                FROM bounds b, generate_series(1, least(@sample, b.hi - b.lo + 1)) AS g WHERE b.lo IS NOT NULL),
        sampled AS MATERIALIZED (SELECT c.search_vector FROM ids JOIN chunks c ON c.id = ids.id AND c.corpus_id = @c),
        counts AS (SELECT u.lexeme, count(*) AS chunks FROM sampled s, unnest(s.search_vector) AS u GROUP BY u.lexeme)
        UPDATE corpora SET full_text_common_share = @share,
            full_text_common_words = (SELECT coalesce(array_agg(lexeme ORDER BY chunks DESC, lexeme), ARRAY[]::text[]) FROM counts
                                      WHERE chunks > @share * (SELECT count(*) FROM sampled))
        WHERE id = @c
        RETURNING full_text_common_words
        """;

    /// <summary>Measures corpus <paramref name="corpusId"/>'s common words at <paramref name="share"/> and stores them; none for an empty corpus.</summary>
    public static async Task<string[]> MeasureAndStoreAsync(NpgsqlConnection connection, long corpusId, double share, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(MeasureSql, connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("c", corpusId);
        command.Parameters.AddWithValue("share", share);
        command.Parameters.AddWithValue("sample", (long)SampleChunks);
        return await command.ExecuteScalarAsync(ct) as string[] ?? [];
    }
}
