using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace SelfLong.Jobs.Corpora.Storage;

/// <summary>
/// Writes documents and chunks in bulk (one INSERT of the batch's documents, then Npgsql's binary
/// COPY of their chunks; not row-by-row SaveChanges), one transaction per batch, skipping documents
/// whose content hash the corpus already holds.
/// </summary>
public static class CorpusCopyWriter
{
    public static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));

    /// <summary>The hashes among <paramref name="hashes"/> already stored in the corpus.</summary>
    public static async Task<HashSet<string>> ExistingAsync(NpgsqlConnection connection, long corpusId,
        IReadOnlyCollection<byte[]> hashes, CancellationToken ct)
    {
        var found = new HashSet<string>();
        if (hashes.Count == 0) return found;
        await using var command = new NpgsqlCommand(
            "SELECT content_hash FROM documents WHERE corpus_id = @corpus AND content_hash = ANY(@hashes)", connection);
        command.Parameters.AddWithValue("corpus", corpusId);
        command.Parameters.AddWithValue("hashes", hashes.ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) found.Add(Convert.ToHexString(reader.GetFieldValue<byte[]>(0)));
        return found;
    }

    /// <summary>
    /// Stores the documents not yet in the corpus, with their chunks, in one transaction; returns
    /// what was written and how many were skipped. Safe beside other writers of the same corpus:
    /// the corpus's unique index on content hashes decides, so several batches (of one run or of
    /// several) are written at once, each skipping what another has stored (IngestionPipeline keeps
    /// two in flight).
    /// </summary>
    /// <remarks>
    /// The documents are inserted with ON CONFLICT DO NOTHING rather than copied after a look at
    /// what is stored: a document another transaction has inserted but not committed makes this
    /// insert wait for that transaction and then skip it, where a look beforehand would miss it.
    /// Rows go in in hash order, so two batches sharing documents wait on each other in one
    /// direction only, never in a circle (a deadlock). Ids follow the batch's order, so a file's
    /// documents keep their order; a skipped document leaves a gap.
    /// </remarks>
    /// <param name="ids">
    /// The documents' ids, one each, drawn by <see cref="NextIdsAsync"/>; drawn here when null.
    /// Batches written at once draw theirs before they start, in turn, to keep their order.
    /// </param>
    public static async Task<(int Written, int Duplicates, long Chunks, long Tokens)> WriteAsync(NpgsqlConnection connection, long corpusId,
        long? runId, int dimension, IReadOnlyList<PreparedDocument> documents, CancellationToken ct, IReadOnlyList<long>? ids = null)
    {
        ids ??= await NextIdsAsync(connection, documents.Count, ct);
        if (ids.Count != documents.Count) throw new ArgumentException("One id per document is needed.", nameof(ids));
        var seen = new HashSet<string>();
        var firsts = Enumerable.Range(0, documents.Count).Where(i => seen.Add(Convert.ToHexString(documents[i].ContentHash))).ToList();
        var batch = firsts.Select(i => documents[i]).ToList();
        var batchIds = firsts.Select(i => ids[i]).ToArray();
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await LockForWritesAsync(connection, transaction, corpusId, ct);

        var stored = new HashSet<long>();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO documents (id, corpus_id, title, text, content_hash, token_count, source, had_invalid_utf8, ingestion_run_id, created_at)
            SELECT d.id, @corpus, d.title, d.text, d.hash, d.tokens, d.source, d.invalid, @run, @now
            FROM unnest(@ids, @titles, @texts, @hashes, @tokens, @sources, @invalid) AS d(id, title, text, hash, tokens, source, invalid)
            ORDER BY d.hash
            ON CONFLICT (corpus_id, content_hash) DO NOTHING
            RETURNING id
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("corpus", corpusId);
            insert.Parameters.Add(new NpgsqlParameter("run", NpgsqlDbType.Bigint) { Value = (object?)runId ?? DBNull.Value });
            insert.Parameters.AddWithValue("now", DateTimeOffset.UtcNow);
            insert.Parameters.AddWithValue("ids", batchIds);
            insert.Parameters.AddWithValue("titles", batch.Select(d => Truncate(d.Title, 1000)).ToArray());
            insert.Parameters.AddWithValue("texts", batch.Select(d => d.Text).ToArray());
            insert.Parameters.AddWithValue("hashes", batch.Select(d => d.ContentHash).ToArray());
            insert.Parameters.AddWithValue("tokens", batch.Select(d => d.TokenCount).ToArray());
            insert.Parameters.AddWithValue("sources", batch.Select(d => Truncate(d.Source, 2000)).ToArray());
            insert.Parameters.AddWithValue("invalid", batch.Select(d => d.HadInvalidUtf8).ToArray());
            await using var reader = await insert.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) stored.Add(reader.GetInt64(0));
        }

        var written = Enumerable.Range(0, batch.Count).Where(i => stored.Contains(batchIds[i])).ToList();
        var chunks = await CopyChunksAsync(connection, corpusId, dimension, written.Select(i => (batchIds[i], batch[i].Chunks)), ct);
        await transaction.CommitAsync(ct);
        return (written.Count, documents.Count - written.Count, chunks, written.Sum(i => (long)batch[i].TokenCount));
    }

    /// <summary>
    /// A raw COPY of the documents and their chunks, with no check for documents already stored:
    /// the baseline `bench corpus` compares ingestion with (the corpus must not hold them).
    /// </summary>
    public static async Task<long> CopyAsync(NpgsqlConnection connection, long corpusId, int dimension, IReadOnlyList<PreparedDocument> documents,
        CancellationToken ct)
    {
        var ids = await NextIdsAsync(connection, documents.Count, ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var now = DateTimeOffset.UtcNow;
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY documents (id, corpus_id, title, text, content_hash, token_count, source, had_invalid_utf8, ingestion_run_id, created_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < documents.Count; i++)
            {
                var d = documents[i];
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(ids[i], NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(corpusId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(Truncate(d.Title, 1000), NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(d.Text, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(d.ContentHash, NpgsqlDbType.Bytea, ct);
                await copy.WriteAsync(d.TokenCount, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(Truncate(d.Source, 2000), NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(d.HadInvalidUtf8, NpgsqlDbType.Boolean, ct);
                await copy.WriteNullAsync(ct);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            }
            await copy.CompleteAsync(ct);
        }
        var chunks = await CopyChunksAsync(connection, corpusId, dimension, documents.Select((d, i) => (ids[i], d.Chunks)), ct);
        await transaction.CommitAsync(ct);
        return chunks;
    }

    /// <summary>
    /// A lock that holds writes back (an index build on the corpus's partition, a migration
    /// altering chunks) can last minutes, and the chunk COPY would wait for it past the
    /// connection's command timeout and fail the batch. The lock COPY needs is taken first, with no
    /// time limit: the batch waits instead of failing. On chunks itself and the corpus's partition
    /// only (ChunkPartitions): locking chunks as a whole would lock every partition, and queue this
    /// write behind an index build on another corpus's.
    /// </summary>
    private static async Task LockForWritesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long corpusId, CancellationToken ct)
    {
        var (partition, _) = await ChunkPartitions.FindAsync(connection, corpusId, ct);
        var locks = $"LOCK TABLE ONLY chunks IN ROW EXCLUSIVE MODE; LOCK TABLE {partition} IN ROW EXCLUSIVE MODE";
        await using var chunksLock = new NpgsqlCommand(locks, connection, transaction) { CommandTimeout = 0 };
        await chunksLock.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Document ids from the table's sequence, ascending (outside any transaction: a sequence is not rolled back).</summary>
    public static async Task<List<long>> NextIdsAsync(NpgsqlConnection connection, int count, CancellationToken ct)
    {
        var ids = new List<long>(count);
        await using var idCommand = new NpgsqlCommand(
            "SELECT nextval(pg_get_serial_sequence('documents', 'id')) FROM generate_series(1, @n) ORDER BY 1", connection);
        idCommand.Parameters.AddWithValue("n", count);
        await using var reader = await idCommand.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt64(0));
        return ids;
    }

    /// <summary>The chunk COPY alone, in the connection's transaction.</summary>
    private static async Task<long> CopyChunksAsync(NpgsqlConnection connection, long corpusId, int dimension,
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
