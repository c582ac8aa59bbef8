using SelfLong.Jobs.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Extraction;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Text;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// Ingests the files of one run: extract, skip known documents, chunk, embed, COPY. Each file is
/// on its own: a bad file is marked with its message and the next one goes on. Progress counters
/// are saved after every batch; a cancel request is honoured between batches and, through
/// <see cref="CancelWatch"/>, inside a long file, and what was committed stays. Uploaded files are
/// removed once done with (<see cref="UploadStore"/>), and all of a run's when it ends.
/// </summary>
public sealed class IngestionPipeline(IDbContextFactory<SelfLongDbContext> dbFactory, NpgsqlDataSource dataSource,
    CorpusEmbedders embedders, ITokenCounter tokens, IOptions<CorporaOptions> options, ProgressPublisher progress,
    UploadStore uploads, ILogger<IngestionPipeline> logger)
{
    private const int MaxIssuesStoredPerFile = 500;
    // Small enough that several batches overlap (prepare one while the previous is copied).
    private const long BatchChars = 1 << 20;

    /// <summary>
    /// Ingests the run's files not yet done; the run is already Running (<see cref="IngestionJob"/>
    /// drives its lifecycle). Counters and file states are saved as it goes.
    /// </summary>
    public async Task<RunEnd> IngestAsync(long runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.IngestionRuns.Include(r => r.Corpus).Include(r => r.FileList.OrderBy(f => f.Id)).SingleAsync(r => r.Id == runId, ct);
        var corpus = run.Corpus!;
        // Every save of this context is progress of the run (counters per batch, file states).
        db.SavedChanges += (_, _) => progress.Publish(ProgressFeatures.Corpus, corpus.Id);

        var preparer = new DocumentPreparer(corpus, tokens, embedders.Create(corpus));
        var steps = new IngestionSteps(run.Id);
        await using var cancel = new CancelWatch(token => CancelRequestedAsync(runId, token), ct);
        var cancelled = await steps.TimeAsync(IngestionSteps.Store, async () =>
        {
            foreach (var file in run.FileList.Where(f => f.Status is IngestionFileStatus.Pending or IngestionFileStatus.Running))
                if (await CancelRequestedAsync(runId, ct) || await IngestFileAsync(db, run, file, corpus, preparer, cancel, ct)) return true;
            return false;
        });
        if (cancelled)
        {
            await db.SaveChangesAsync(CancellationToken.None);
            return RunEnd.Cancelled();
        }

        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            await steps.TimeAsync(IngestionSteps.Statistics, async () =>
            {
                await ChunkTableSettle.SettleAsync(connection, corpus.Id, ct);
                await CorpusCommonWords.MeasureAndStoreAsync(connection, corpus.Id, options.Value.FullTextCommonShare, ct);
            });
            await LoadIndexes.EnsureAsync(dataSource, connection, corpus.Id, corpus.EmbeddingDimension, options.Value.HnswBuild, steps, ct);
            // Again after every run, not only when the index is first built: a graph that grew may need more effort.
            using var embedder = embedders.Create(corpus);
            var tuning = await steps.TimeAsync(IngestionSteps.Tuning,
                () => HnswEfSearchTuner.TryTuneAndStoreAsync(dataSource, corpus.Id, embedder, options.Value, logger, ct));
            logger.LogInformation("Ingestion run {Run}: {Documents} documents, {Chunks} chunks; {Steps} (ef_search {EfSearch}, recall@10 {Recall}).",
                run.Id, run.Documents, run.Chunks, steps.ToString(), tuning?.EfSearch, tuning?.RecallAt10);
        }
        await db.SaveChangesAsync(CancellationToken.None);
        var failed = run.FileList.Count(f => f.Status == IngestionFileStatus.Failed);
        return RunEnd.Succeeded(failed == 0 ? null : $"{failed} of {run.Files} file(s) could not be ingested; see each file's message.");
    }

    /// <param name="cancel">Its token stops reading, chunking and embedding when the user cancels; <paramref name="ct"/> is the worker stopping.</param>
    private async Task<bool> IngestFileAsync(SelfLongDbContext db, IngestionRun run, IngestionFile file, Corpus corpus,
        DocumentPreparer preparer, CancelWatch cancel, CancellationToken ct)
    {
        file.Status = IngestionFileStatus.Running;
        await db.SaveChangesAsync(ct);
        var context = new ExtractionContext(options.Value, corpus.TextField, corpus.TitleField);
        var stored = 0;
        var cancelled = false;
        var writes = new BatchWrites(dataSource, db, run, file, corpus, options.Value.WritesInFlight);
        var batch = new List<(ExtractedDocument, byte[])>();
        try
        {
            var (stream, length) = await OpenAsync(file, ct);
            await using var opened = stream;
            if (length > options.Value.MaxFileBytes)
                throw new ExtractionException($"The file is larger than the limit of {ByteSize.Format(options.Value.MaxFileBytes)}.");
            long batchChars = 0;
            await foreach (var document in DocumentExtractor.ExtractAsync(stream, file.FileName, length, context, 0, cancel.Token))
            {
                batch.Add((document, CorpusCopyWriter.Hash(document.Text)));
                batchChars += document.Text.Length;
                if (batch.Count < options.Value.BatchDocuments && batchChars < BatchChars) continue;
                var prepared = await PrepareBatchAsync(corpus, preparer, batch, cancel.Token);
                await writes.MakeRoomAsync(ct);
                stored = await FlushIssuesAsync(db, file, context, stored, ct);
                if (await CancelRequestedAsync(run.Id, ct)) { cancelled = true; break; }
                await writes.StartAsync(prepared, ct);
                batch = [];
                batchChars = 0;
            }
            if (!cancelled && batch.Count > 0)
            {
                var prepared = await PrepareBatchAsync(corpus, preparer, batch, cancel.Token);
                await writes.MakeRoomAsync(ct);
                await writes.StartAsync(prepared, ct);
                batch = [];
            }
            await writes.DrainAsync(ct);
            file.Status = context.ErrorCount > 0 ? IngestionFileStatus.PartlyFailed : IngestionFileStatus.Succeeded;
            if (file.Documents == 0 && file.Duplicates == 0 && context.ErrorCount > 0)
            {
                file.Status = IngestionFileStatus.Failed;
                file.Message = "No document could be read from the file; see its problems.";
            }
        }
        catch (OperationCanceledException) when (cancel.Requested && !ct.IsCancellationRequested)
        {
            // The user cancelled inside the file: batches already written stay, the rest is skipped.
            cancelled = true;
        }
        catch (ExtractionException ex)
        {
            file.Status = IngestionFileStatus.Failed;
            file.Message = ex.Message;
            context.Error(file.FileName, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            file.Status = IngestionFileStatus.Failed;
            file.Message = $"The file could not be read: {ex.Message}";
            context.Error(file.FileName, file.Message);
        }
        finally
        {
            await writes.DrainAsync(CancellationToken.None);
        }
        if (file.Status == IngestionFileStatus.Failed && batch.Count > 0)
        {
            // The documents read before the damage (or a record over the limit that ends a CSV) are kept.
            await writes.StartAsync(await PrepareBatchAsync(corpus, preparer, batch, ct), ct);
            await writes.DrainAsync(ct);
            file.Status = IngestionFileStatus.PartlyFailed;
        }
        if (cancelled) file.Status = IngestionFileStatus.Skipped;
        await FlushIssuesAsync(db, file, context, stored, CancellationToken.None);
        run.Errors += file.Errors;
        run.FilesDone++;
        await db.SaveChangesAsync(CancellationToken.None);
        if (!cancelled) await uploads.RemoveAsync([file]);
        return cancelled;
    }

    /// <summary>The file's bytes: its upload from the database, or the server file the run points at.</summary>
    private async Task<(Stream Stream, long Length)> OpenAsync(IngestionFile file, CancellationToken ct)
    {
        if (file.UploadId is { } upload)
        {
            return await uploads.LengthAsync(upload, ct) is { } length
                ? (uploads.OpenRead(upload), length)
                : throw new ExtractionException(file.Message ?? "The uploaded file is no longer on the server; upload it again.");
        }
        if (file.StoredPath is null || !File.Exists(file.StoredPath))
            throw new ExtractionException(file.Message ?? "The file is no longer on the server.");
        var stream = new FileStream(file.StoredPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return (stream, stream.Length);
    }

    /// <summary>
    /// Drops documents the corpus already holds (before any paid embedding), then chunks and embeds
    /// the rest. Documents of a batch still being written are not seen here; the writer skips them.
    /// </summary>
    private async Task<(List<PreparedDocument> Documents, int Skipped)> PrepareBatchAsync(Corpus corpus, DocumentPreparer preparer,
        List<(ExtractedDocument Document, byte[] Hash)> batch, CancellationToken ct)
    {
        HashSet<string> seen;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
            seen = await CorpusCopyWriter.ExistingAsync(connection, corpus.Id, batch.Select(b => b.Hash).ToList(), ct);
        var fresh = batch.Where(b => seen.Add(Convert.ToHexString(b.Hash))).ToList();
        return (await preparer.PrepareAsync(fresh, ct), batch.Count - fresh.Count);
    }

    private static async Task<int> FlushIssuesAsync(SelfLongDbContext db, IngestionFile file, ExtractionContext context, int stored, CancellationToken ct)
    {
        var fresh = context.Issues.Skip(stored).ToList();
        file.Errors = context.ErrorCount;
        foreach (var (severity, location, message) in fresh.Take(Math.Max(0, MaxIssuesStoredPerFile - stored)))
            db.IngestionIssues.Add(new IngestionIssue { FileId = file.Id, Severity = severity, Location = Cap(location), Message = Cap(message) });
        await db.SaveChangesAsync(ct);
        return stored + fresh.Count;
    }

    private static string Cap(string text) => text.Length <= 1000 ? text : text[..1000];

    private async Task<bool> CancelRequestedAsync(long runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.IngestionRuns.Where(r => r.Id == runId).Select(r => r.CancelRequested).SingleAsync(ct);
    }
}
