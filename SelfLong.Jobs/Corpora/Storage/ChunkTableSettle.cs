using Npgsql;

namespace SelfLong.Jobs.Corpora.Storage;

/// <summary>
/// What a bulk load of chunks leaves undone, done before the corpus is searched:
/// <list type="bullet">
/// <item>The planner's statistics. Until they are refreshed, the planner believes a corpus just
/// loaded holds no rows and answers its vector list by sorting every chunk of the corpus instead of
/// walking its HNSW index: 186 ms instead of 14 ms for one hybrid query over 126K chunks, measured.
/// Autovacuum would get there, but only on its next round and only once enough of the whole table
/// has changed. ANALYZE reads a fixed-size sample (a fraction of a second at any size).</item>
/// </list>
/// The corpus's full-text index, with its pending list, is ChunkTextIndex's.
/// It takes the index builds' turn (ChunkVectorIndex): ANALYZE needs the table lock a concurrent
/// index build holds, while that build waits for ANALYZE's snapshot to end, and PostgreSQL
/// aborts one of them (40P01, seen when two ingestions ended together).
/// </summary>
public static class ChunkTableSettle
{
    private static long settled;

    /// <summary>How many times this process has refreshed the statistics: what it read from them before is stale.</summary>
    public static long Settled => Interlocked.Read(ref settled);

    public static async Task SettleAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var turn = await ChunkVectorIndex.TurnAsync(connection, ct);
        await using var settle = new NpgsqlCommand("ANALYZE chunks", connection)
        {
            CommandTimeout = 0,
        };
        await settle.ExecuteNonQueryAsync(ct);
        Interlocked.Increment(ref settled);
    }
}
