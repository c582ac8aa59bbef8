using Npgsql;
using NpgsqlTypes;
using SelfLong.Data.Corpora;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// Uploaded files, kept in PostgreSQL (upload_chunks) until their run is done with them, so the
/// worker that ingests an upload needs nothing but the database, on whatever machine it runs.
/// Files stream in and out in 1 MiB pieces: one binary COPY per file on the way in (a file broken
/// off before its end is never committed, so half an upload is never stored), one piece per query
/// on the way out. An upload is removed after its file is ingested, and the rest of a run's when
/// the run ends (finished, failed or cancelled) or its corpus is deleted; <see cref="LeftoverSweeper"/>
/// removes uploads no run waits for. Files a run only points at (bundled samples, files given to
/// `./selflong ingest`) are server files and are never touched.
/// </summary>
public sealed class UploadStore(NpgsqlDataSource dataSource)
{
    /// <summary>Size of one stored piece: large enough to keep the row count low, small enough to hold in memory.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>
    /// Stores <paramref name="body"/> as upload <paramref name="id"/>; past <paramref name="limit"/>
    /// bytes nothing is stored and the rest of the body is read past (so a multipart request's
    /// next file still arrives). Returns the body's length either way.
    /// </summary>
    public async Task<(long Length, bool TooLarge)> WriteAsync(Guid id, Stream body, long limit, CancellationToken ct)
    {
        var buffer = new byte[ChunkBytes];
        long length = 0;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        await using (var copy = await connection.BeginBinaryImportAsync("COPY upload_chunks (upload_id, seq, data) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var seq = 0; ; seq++)
            {
                var filled = await FillAsync(body, buffer, ct);
                length += filled;
                if (length > limit || (filled == 0 && seq > 0)) break;
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(id, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(seq, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(new ArraySegment<byte>(buffer, 0, filled), NpgsqlDbType.Bytea, ct);
                if (filled < buffer.Length) break;
            }
            // Not completed (too large, or an exception on the way): disposing the import cancels the COPY.
            if (length <= limit) await copy.CompleteAsync(ct);
        }
        if (length <= limit) return (length, false);
        int n;
        while ((n = await body.ReadAsync(buffer, ct)) > 0) length += n;
        return (length, true);
    }

    /// <summary>The stored length of the upload, or null when it is not (or no longer) stored.</summary>
    public async Task<long?> LengthAsync(Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT sum(length(data))::bigint FROM upload_chunks WHERE upload_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync(ct) is long length ? length : null;
    }

    /// <summary>
    /// The upload as a forward-only stream, one piece fetched at a time (no connection is held
    /// between reads); formats that seek spool it to a temporary file (DocumentExtractor.SeekableAsync).
    /// </summary>
    public Stream OpenRead(Guid id) => new UploadReadStream(dataSource, id);

    /// <summary>Removes uploads; used when an upload breaks off or its run cannot be recorded.</summary>
    public async Task RemoveAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return;
        await using var command = dataSource.CreateCommand("DELETE FROM upload_chunks WHERE upload_id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Removes the uploads of these files (never the server files a run only points at).</summary>
    public async Task RemoveAsync(IEnumerable<IngestionFile> files)
    {
        try
        {
            await RemoveAsync([.. files.Where(f => f.UploadId is not null).Select(f => f.UploadId!.Value)], CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // Removal is housekeeping: an upload that cannot be removed now must not change how the run
            // ended; no queued or running run names it any more, so LeftoverSweeper removes it later.
        }
    }

    /// <summary>Reads until the buffer is full or the body ends.</summary>
    private static async Task<int> FillAsync(Stream body, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        int n;
        while (filled < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(filled), ct)) > 0) filled += n;
        return filled;
    }
}
