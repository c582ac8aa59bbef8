using Npgsql;

namespace SelfLong.Jobs.Corpora.Storage;

/// <summary>
/// What a bulk load of chunks leaves undone, done before the corpus is searched:
/// <list type="bullet">
/// <item>The planner's statistics. Until they are refreshed, the planner believes a corpus just
/// loaded holds no rows and answers its vector list by sorting every chunk of the corpus instead of
/// walking its HNSW index: 186 ms instead of 14 ms for one hybrid query over 126K chunks, measured.
/// Autovacuum would get there, but only on its next round and only once enough of the whole table
/// has changed. Only the columns a vector list's plan turns on are analysed: corpus_id (how many
/// rows the corpus holds), dimension and the two vector columns (how many have a vector). The text
/// columns' statistics, their most common words above all, took most of a whole-table ANALYZE's
/// time: 2.3 to 5.1 s of an ingestion beside a million-chunk corpus, against about 0.4 s for these
/// columns (measured). Autovacuum's ANALYZE refreshes the others in its own time.</item>
/// </list>
/// The corpus's full-text index, with its pending list, is ChunkTextIndex's; its common words are
/// CorpusCommonWords'.
/// It takes the index builds' turn (ChunkVectorIndex): ANALYZE needs the table lock a concurrent
/// index build holds, while that build waits for ANALYZE's snapshot to end, and PostgreSQL
/// aborts one of them (40P01, seen when two ingestions ended together).
/// </summary>
public static class ChunkTableSettle
{
    /// <summary>Analyses the partition holding the corpus (ChunkPartitions): searches of the corpus read only it, and so only its statistics.</summary>
    public static async Task SettleAsync(NpgsqlConnection connection, long corpusId, CancellationToken ct)
    {
        await using var turn = await ChunkVectorIndex.TurnAsync(connection, ct);
        var (table, _) = await ChunkPartitions.FindAsync(connection, corpusId, ct);
        await using var settle = new NpgsqlCommand($"ANALYZE {table} (corpus_id, dimension, embedding, embedding_half)", connection)
        {
            CommandTimeout = 0,
        };
        await settle.ExecuteNonQueryAsync(ct);
    }
}
