using Npgsql;

namespace SelfLong.Jobs.Corpora.Storage;

/// <summary>
/// Per-corpus indexes on chunks (<see cref="ChunkVectorIndex"/>, <see cref="ChunkTextIndex"/>) and
/// per-corpus partitions (<see cref="ChunkPartitions"/>) whose corpus is gone. Deleting a corpus
/// from before partitions drops its indexes after its row (CorpusService), so a process that stops
/// in between leaves them behind for good: a million-chunk corpus's HNSW graph holds 1.5 GB, and
/// every write to the shared partition still tests each leftover index's predicate. A corpus row
/// deleted without CorpusService leaves its partition, emptied by the cascade.
/// </summary>
public static class OrphanedCorpusIndexes
{
    /// <summary>Drops each leftover index, CONCURRENTLY and in its turn; returns their names.</summary>
    /// <remarks>
    /// Safe beside a corpus being made: its indexes are built after its row is committed, so an
    /// index always names a corpus that exists or existed.
    /// </remarks>
    public static async Task<IReadOnlyList<string>> DropAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var names = await OrphansAsync(connection,
            "pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'chunks'::regclass)",
            $"^({ChunkVectorIndex.NamePrefix}|{ChunkTextIndex.NamePrefix})[0-9]+$", ct);
        foreach (var name in names) await ChunkVectorIndex.DropIndexAsync(connection, name, ct);
        return names;
    }

    /// <summary>Detaches and drops each partition whose corpus is gone (<see cref="ChunkPartitions.DropAsync"/>); returns their names.</summary>
    /// <remarks>Safe beside a corpus being made: its partition is attached in the transaction that inserts its row.</remarks>
    public static async Task<IReadOnlyList<string>> DropPartitionsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var names = await OrphansAsync(connection, "pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'chunks'::regclass",
            $"^{ChunkPartitions.NamePrefix}[0-9]+$", ct);
        foreach (var name in names) await ChunkPartitions.DropAsync(connection, long.Parse(name[ChunkPartitions.NamePrefix.Length..]), ct);
        return names;
    }

    /// <summary>
    /// The relations named by <paramref name="pattern"/> (a prefix, then a corpus id) among those
    /// <paramref name="relations"/> selects as <c>c</c>, whose corpus row is gone.
    /// </summary>
    private static async Task<List<string>> OrphansAsync(NpgsqlConnection connection, string relations, string pattern, CancellationToken ct)
    {
        List<string> names = [];
        await using var find = new NpgsqlCommand($"""
            SELECT c.relname FROM {relations} AND c.relname ~ @names
              AND NOT EXISTS (SELECT 1 FROM corpora WHERE corpora.id = substring(c.relname FROM '[0-9]+$')::bigint)
            ORDER BY c.relname
            """, connection);
        find.Parameters.AddWithValue("names", pattern);
        await using var reader = await find.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) names.Add(reader.GetString(0));
        return names;
    }
}
