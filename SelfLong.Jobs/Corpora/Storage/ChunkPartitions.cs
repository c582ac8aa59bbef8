using Npgsql;

namespace SelfLong.Jobs.Corpora.Storage;

/// <summary>
/// Where a corpus's chunks live: chunks is partitioned by corpus (LIST on corpus_id, migration
/// ChunksByCorpus), each corpus in its own partition made with its row (a trigger on corpora), and
/// the corpora that existed before that all in one partition, <see cref="Shared"/>.
/// <para>
/// With one table for every corpus, each index build read the whole table, dead rows of deleted
/// corpora included: a 9,521-chunk corpus's full-text index took 0.4 s to build beside 225 MB of
/// them, 0.05 s alone, and seconds beside a million-chunk corpus (measured). In its own partition
/// a corpus's indexes are built from its rows only, without CONCURRENTLY (no other corpus writes
/// there, and searches do not wait for it), its statistics are read from its rows only, and
/// deleting it drops a table instead of deleting its rows one by one.
/// </para>
/// </summary>
public static class ChunkPartitions
{
    /// <summary>The partition of the corpora created before chunks was partitioned.</summary>
    public const string Shared = "chunks_before_partitions";

    /// <summary>What every corpus's own partition is called, its id following.</summary>
    public const string NamePrefix = "chunks_corpus_";

    public static string NameFor(long corpusId) => $"{NamePrefix}{corpusId}";

    /// <summary>The table holding the corpus's chunks, and whether it holds that corpus's alone.</summary>
    public static async Task<(string Table, bool Own)> FindAsync(NpgsqlConnection connection, long corpusId, CancellationToken ct)
    {
        await using var find = new NpgsqlCommand("SELECT to_regclass(@own) IS NOT NULL", connection);
        find.Parameters.AddWithValue("own", NameFor(corpusId));
        return await find.ExecuteScalarAsync(ct) is true ? (NameFor(corpusId), true) : (Shared, false);
    }

    /// <summary>
    /// Detaches and drops the corpus's own partition, with its rows and indexes, before its row is
    /// deleted (whose cascade would otherwise delete its chunks one by one). Detached CONCURRENTLY:
    /// a plain DETACH or DROP locks every search of every corpus out while it waits for the running
    /// ones. A detach a stopped process left half done is finished first. No-op for a corpus in
    /// <see cref="Shared"/>. The connection must not be in a transaction.
    /// </summary>
    public static async Task DropAsync(NpgsqlConnection connection, long corpusId, CancellationToken ct)
    {
        var name = NameFor(corpusId);
        await using var state = new NpgsqlCommand(
            "SELECT i.inhdetachpending FROM pg_inherits i WHERE i.inhrelid = to_regclass(@name) AND i.inhparent = 'chunks'::regclass", connection);
        state.Parameters.AddWithValue("name", name);
        var pending = await state.ExecuteScalarAsync(ct);
        if (pending is bool detachPending)
            await ChunkVectorIndex.ExecuteAsync(connection, $"ALTER TABLE chunks DETACH PARTITION {name} {(detachPending ? "FINALIZE" : "CONCURRENTLY")}", ct);
        await ChunkVectorIndex.ExecuteAsync(connection, $"DROP TABLE IF EXISTS {name}", ct);
    }
}
