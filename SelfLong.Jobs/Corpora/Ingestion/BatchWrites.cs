using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// Up to <see cref="CorporaOptions.WritesInFlight"/> batch writes of one file at once, each on its
/// own connection and transaction: the next batch is tokenized and embedded on this process's
/// cores while PostgreSQL stores the previous ones, each write in a server process of its own.
/// With one write in flight the database used one core and the store took about as long as a raw
/// COPY of the rows, though the server had a core to spare (`bench corpus`). Counters are applied
/// as writes complete, oldest first.
/// </summary>
internal sealed class BatchWrites(NpgsqlDataSource dataSource, SelfLongDbContext db, IngestionRun run, IngestionFile file, Corpus corpus,
    int inFlight)
{
    private readonly Queue<(Task<(int Written, int Duplicates, long Chunks, long Tokens)> Write, int Skipped)> pending = new();

    /// <summary>Waits until a write may start (the oldest completes while all are busy).</summary>
    public async Task MakeRoomAsync(CancellationToken ct)
    {
        while (pending.Count >= inFlight) await CompleteOldestAsync(ct);
    }

    /// <summary>
    /// Starts writing the batch once its documents' ids are drawn, so a file's documents are
    /// numbered in its order whichever write commits first; call <see cref="MakeRoomAsync"/> first.
    /// </summary>
    public async Task StartAsync((List<PreparedDocument> Documents, int Skipped) batch, CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var ids = await CorpusCopyWriter.NextIdsAsync(connection, batch.Documents.Count, ct);
            pending.Enqueue((WriteAsync(connection, batch.Documents, ids), batch.Skipped));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task<(int, int, long, long)> WriteAsync(NpgsqlConnection connection, List<PreparedDocument> documents, List<long> ids)
    {
        await using (connection)
            return await CorpusCopyWriter.WriteAsync(connection, corpus.Id, run.Id, corpus.EmbeddingDimension, documents, CancellationToken.None, ids);
    }

    /// <summary>Waits for every write started; a write that failed is rethrown once all have ended, its committed siblings counted.</summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        Exception? failed = null;
        while (pending.Count > 0)
        {
            try
            {
                await CompleteOldestAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed ??= e;
            }
        }
        if (failed is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
    }

    private async Task CompleteOldestAsync(CancellationToken ct)
    {
        var (write, skipped) = pending.Dequeue();
        var (written, duplicates, chunks, tokens) = await write;
        file.Documents += written;
        file.Duplicates += skipped + duplicates;
        file.Chunks += chunks;
        file.Tokens += tokens;
        run.Documents += written;
        run.Duplicates += skipped + duplicates;
        run.Chunks += chunks;
        run.Tokens += tokens;
        await db.SaveChangesAsync(ct);
    }
}
