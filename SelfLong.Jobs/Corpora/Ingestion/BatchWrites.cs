using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// At most one COPY in flight per file: the next batch is tokenized and embedded on this
/// process's cores while PostgreSQL stores the previous one. Counters are applied on drain.
/// </summary>
internal sealed class BatchWrites(NpgsqlDataSource dataSource, SelfLongDbContext db, IngestionRun run, IngestionFile file, Corpus corpus)
{
    private Task<(int Written, int Duplicates, long Chunks, long Tokens)>? pending;
    private int pendingSkipped;

    public void Start((List<PreparedDocument> Documents, int Skipped) batch)
    {
        pendingSkipped = batch.Skipped;
        pending = WriteAsync(batch.Documents);
    }

    private async Task<(int, int, long, long)> WriteAsync(List<PreparedDocument> documents)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await CorpusCopyWriter.WriteAsync(connection, corpus.Id, run.Id, corpus.EmbeddingDimension, documents, CancellationToken.None);
    }

    public async Task DrainAsync(CancellationToken ct)
    {
        if (pending is null) return;
        var task = pending;
        pending = null;
        var (written, duplicates, chunks, tokens) = await task;
        file.Documents += written;
        file.Duplicates += pendingSkipped + duplicates;
        file.Chunks += chunks;
        file.Tokens += tokens;
        run.Documents += written;
        run.Duplicates += pendingSkipped + duplicates;
        run.Chunks += chunks;
        run.Tokens += tokens;
        await db.SaveChangesAsync(ct);
    }
}
