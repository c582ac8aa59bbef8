using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace SelfLong.Jobs.Corpora.Storage;

/// <summary>
/// Writes documents and chunks with Npgsql's binary COPY (not row-by-row SaveChanges), one
/// transaction per batch, skipping documents whose content hash the corpus already holds.
/// </summary>
public static class CorpusCopyWriter
{
    public static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));

    /// <summary>The hashes among <paramref name="hashes"/> already stored in the corpus.</summary>
    public static async Task<HashSet<string>> ExistingAsync(NpgsqlConnection connection, long corpusId,
        IReadOnlyCollection<byte[]> hashes, CancellationToken ct, NpgsqlTransaction? transaction = null)
    {
        var found = new HashSet<string>();
        if (hashes.Count == 0) return found;
        await using var command = new NpgsqlCommand(
            "SELECT content_hash FROM documents WHERE corpus_id = @corpus AND content_hash = ANY(@hashes)", connection, transaction);
        command.Parameters.AddWithValue("corpus", corpusId);
        command.Parameters.AddWithValue("hashes", hashes.ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) found.Add(Convert.ToHexString(reader.GetFieldValue<byte[]>(0)));
        return found;
    }

    /// <summary>Stores the documents not yet in the corpus; returns what was written and how many were skipped.</summary>
    public static async Task<(int Written, int Duplicates, long Chunks, long Tokens)> WriteAsync(NpgsqlConnection connection, long corpusId,
        long? runId, int dimension, IReadOnlyList<PreparedDocument> documents, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // One writer per corpus at a time, so the duplicate check below cannot race another run.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7301, @corpus)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("corpus", (int)corpusId);
            await lockCommand.ExecuteNonQueryAsync(ct);
        }
        // A lock that holds writes back (an index build on the corpus's partition, a migration
        // altering chunks) can last minutes, and the chunk COPY below would wait for it past the
        // connection's command timeout and fail this run. The lock COPY needs is taken first, here,
        // with no time limit: this batch waits instead of failing. On chunks itself and the
        // corpus's partition only (ChunkPartitions): locking chunks as a whole would lock every
        // partition, and queue this write behind an index build on another corpus's.
        var (partition, _) = await ChunkPartitions.FindAsync(connection, corpusId, ct);
        var locks = $"LOCK TABLE ONLY chunks IN ROW EXCLUSIVE MODE; LOCK TABLE {partition} IN ROW EXCLUSIVE MODE";
        await using (var chunksLock = new NpgsqlCommand(locks, connection, transaction) { CommandTimeout = 0 })
            await chunksLock.ExecuteNonQueryAsync(ct);
        var existing = await ExistingAsync(connection, corpusId, documents.Select(d => d.ContentHash).ToList(), ct, transaction);
        var fresh = documents.Where(d => existing.Add(Convert.ToHexString(d.ContentHash))).ToList();
        if (fresh.Count == 0)
        {
            await transaction.CommitAsync(ct);
            return (0, documents.Count, 0, 0);
        }

        var ids = new List<long>(fresh.Count);
        await using (var idCommand = new NpgsqlCommand(
            "SELECT nextval(pg_get_serial_sequence('documents', 'id')) FROM generate_series(1, @n)", connection, transaction))
        {
            idCommand.Parameters.AddWithValue("n", fresh.Count);
            await using var reader = await idCommand.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt64(0));
        }

        var now = DateTimeOffset.UtcNow;
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY documents (id, corpus_id, title, text, content_hash, token_count, source, had_invalid_utf8, ingestion_run_id, created_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < fresh.Count; i++)
            {
                var d = fresh[i];
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(ids[i], NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(corpusId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(Truncate(d.Title, 1000), NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(d.Text, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(d.ContentHash, NpgsqlDbType.Bytea, ct);
                await copy.WriteAsync(d.TokenCount, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(Truncate(d.Source, 2000), NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(d.HadInvalidUtf8, NpgsqlDbType.Boolean, ct);
                if (runId is { } r) await copy.WriteAsync(r, NpgsqlDbType.Bigint, ct); else await copy.WriteNullAsync(ct);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            }
            await copy.CompleteAsync(ct);
        }

        var chunks = await CopyChunksAsync(connection, corpusId, dimension, fresh.Select((d, i) => (ids[i], d.Chunks)), ct);
        await transaction.CommitAsync(ct);
        return (fresh.Count, documents.Count - fresh.Count, chunks, fresh.Sum(d => (long)d.TokenCount));
    }

    /// <summary>The chunk COPY alone; also the baseline `bench corpus` compares ingestion with.</summary>
    public static async Task<long> CopyChunksAsync(NpgsqlConnection connection, long corpusId, int dimension,
        IEnumerable<(long DocumentId, IReadOnlyList<PreparedChunk> Chunks)> rows, CancellationToken ct)
    {
        long written = 0;
        var layout = new VectorLayout(dimension);
        await using var copy = await connection.BeginBinaryImportAsync(
            $"COPY chunks (corpus_id, document_id, index, text, token_count, dimension, {layout.Column}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var (documentId, chunks) in rows)
        {
            foreach (var c in chunks)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(corpusId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(documentId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(c.Index, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(c.Text, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(c.TokenCount, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(dimension, NpgsqlDbType.Integer, ct);
                if (c.Embedding is { } e) await copy.WriteAsync(layout.Parameter(e), layout.TypeName, ct); else await copy.WriteNullAsync(ct);
                written++;
            }
        }
        await copy.CompleteAsync(ct);
        return written;
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
