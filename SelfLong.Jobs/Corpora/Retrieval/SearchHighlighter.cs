using Npgsql;

namespace SelfLong.Jobs.Corpora.Retrieval;

/// <summary>A run of chunk text, marked when it matched the query.</summary>
public sealed record TextSegment(string Text, bool Hit);

/// <summary>
/// Marks the words of a chunk that match the query with PostgreSQL's own stemming (ts_headline),
/// returning plain segments: the page renders them as text, so corpus text is never parsed as HTML.
/// </summary>
public sealed class SearchHighlighter(NpgsqlDataSource dataSource)
{
    private const char Start = '\u0002';
    private const char Stop = '\u0003';

    /// <param name="corpusId">The corpus the chunks were found in: only its partition of chunks is read (ChunkPartitions).</param>
    public async Task<Dictionary<long, List<TextSegment>>> HighlightAsync(long corpusId, string query, IReadOnlyCollection<RetrievedChunk> chunks, CancellationToken ct)
    {
        var result = chunks.ToDictionary(c => c.ChunkId, c => new List<TextSegment> { new(c.Text, false) });
        if (chunks.Count == 0) return result;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"""
            SELECT c.id, ts_headline('english', c.text, q.tsq, 'StartSel={Start}, StopSel={Stop}, HighlightAll=true')
            FROM chunks c, (SELECT {PgCorpusRetriever.AnyWordQuery} AS tsq) q
            WHERE c.corpus_id = @corpus AND c.id = ANY(@ids) AND q.tsq IS NOT NULL
            """, connection);
        command.Parameters.AddWithValue("corpus", corpusId);
        command.Parameters.AddWithValue("query", query);
        command.Parameters.AddWithValue("ids", chunks.Select(c => c.ChunkId).ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result[reader.GetInt64(0)] = Segments(reader.GetString(1));
        return result;
    }

    public static List<TextSegment> Segments(string marked)
    {
        var segments = new List<TextSegment>();
        var hit = false;
        var start = 0;
        for (var i = 0; i <= marked.Length; i++)
        {
            if (i < marked.Length && marked[i] != Start && marked[i] != Stop) continue;
            if (i > start) segments.Add(new TextSegment(marked[start..i], hit));
            if (i < marked.Length) hit = marked[i] == Start;
            start = i + 1;
        }
        return segments;
    }
}
