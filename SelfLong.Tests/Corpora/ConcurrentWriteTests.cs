using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Tests.Infrastructure;
using Xunit;

namespace SelfLong.Tests.Corpora;

/// <summary>
/// Batches of a corpus written at once (CorpusCopyWriter, BatchWrites): the corpus's unique index
/// on content hashes, not a lock around the whole write, keeps each document stored once.
/// </summary>
public sealed class ConcurrentWriteTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteAsync_SameDocumentInsertedByAnOpenTransaction_WaitsForItsOutcome(bool commit)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpusId = await harness.CreateCorpusAsync();
        var whale = Document("A whale rose near the ice.");
        // Another writer's batch, inserted but not yet committed.
        await using var other = new NpgsqlConnection(harness.Database.ConnectionString);
        await other.OpenAsync(ct);
        await using var otherTransaction = await other.BeginTransactionAsync(ct);
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO documents (corpus_id, title, text, content_hash, token_count, source, had_invalid_utf8, created_at)
            VALUES (@corpus, 'whale', @text, @hash, 8, 'other', false, now())
            """, other, otherTransaction))
        {
            insert.Parameters.AddWithValue("corpus", corpusId);
            insert.Parameters.AddWithValue("text", whale.Text);
            insert.Parameters.AddWithValue("hash", whale.ContentHash);
            await insert.ExecuteNonQueryAsync(ct);
        }
        await using var writer = new NpgsqlConnection(harness.Database.ConnectionString);
        await writer.OpenAsync(ct);

        var write = CorpusCopyWriter.WriteAsync(writer, corpusId, null, 256, [whale, Document("The crew watched from the deck.")], ct);
        await Poll.UntilAsync(() => WaitsForLockAsync(harness, writer.ProcessID, ct), "the writer waiting for the other transaction's document");
        if (commit) await otherTransaction.CommitAsync(ct); else await otherTransaction.RollbackAsync(ct);
        var (written, duplicates, chunks, _) = await write;

        Assert.Equal(commit ? (1, 1, 1L) : (2, 0, 2L), (written, duplicates, chunks));
        var stored = await harness.DocumentsAsync(corpusId);
        Assert.Equal(2, stored.Count);
        Assert.Single(stored, d => d.Text == whale.Text);
        await using var db = harness.Database.CreateDbContext();
        // A skipped document's chunks are not written: each stored document has its own, none more.
        Assert.Equal(commit ? 1 : 2, await db.Chunks.CountAsync(c => c.CorpusId == corpusId, ct));
    }

    [Fact]
    public async Task WriteAsync_TwoBatchesSharingDocumentsInOppositeOrders_StoreEachOnceWithoutADeadlock()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpusId = await harness.CreateCorpusAsync();
        // Enough documents that the two inserts overlap: in file order, one would take the first half
        // and the other the second, and each would then wait for the other.
        const int Rounds = 3, Shared = 400;
        for (var round = 0; round < Rounds; round++)
        {
            var shared = Enumerable.Range(0, Shared).Select(i => Document($"Round {round}, shared sentence number {i}. " + new string('x', 2000))).ToList();
            // Both wait behind a lock on the corpus's partition, then go at once.
            await using var holder = new NpgsqlConnection(harness.Database.ConnectionString);
            await holder.OpenAsync(ct);
            var (partition, _) = await ChunkPartitions.FindAsync(holder, corpusId, ct);
            await using var hold = await holder.BeginTransactionAsync(ct);
            await using (var share = new NpgsqlCommand($"LOCK TABLE {partition} IN SHARE MODE", holder, hold))
                await share.ExecuteNonQueryAsync(ct);
            await using var first = new NpgsqlConnection(harness.Database.ConnectionString);
            await using var second = new NpgsqlConnection(harness.Database.ConnectionString);
            await first.OpenAsync(ct);
            await second.OpenAsync(ct);
            var writes = new[]
            {
                CorpusCopyWriter.WriteAsync(first, corpusId, null, 256, shared, ct),
                CorpusCopyWriter.WriteAsync(second, corpusId, null, 256, [.. Enumerable.Reverse(shared)], ct),
            };
            await Poll.UntilAsync(async () => await WaitsForLockAsync(harness, first.ProcessID, ct) && await WaitsForLockAsync(harness, second.ProcessID, ct),
                "both writers waiting for the partition");
            await hold.CommitAsync(ct);
            var results = await Task.WhenAll(writes);

            Assert.Equal(shared.Count, results.Sum(r => r.Written));
            Assert.Equal(shared.Count, results.Sum(r => r.Duplicates));
        }
        Assert.Equal(Rounds * Shared, (await harness.DocumentsAsync(corpusId)).Count);
    }

    [Fact]
    public async Task Ingest_ManyBatchesWrittenTwoAtATime_CountsEveryDocumentAndKeepsTheFilesOrder()
    {
        await using var harness = await CorporaHarness.CreateAsync(o =>
        {
            o.BatchDocuments = 3;
            o.WritesInFlight = 2;
        });
        var corpus = await harness.CreateCorpusAsync();
        var records = Enumerable.Range(0, 40).Select(i => $"{{\"title\": \"record {i:D2}\", \"text\": \"Record {i} tells of whale number {i}.\"}}")
            // Every tenth record again, in a later batch: skipped whether or not its first copy is committed yet.
            .Concat(Enumerable.Range(0, 4).Select(i => $"{{\"title\": \"again {i}\", \"text\": \"Record {i * 10} tells of whale number {i * 10}.\"}}"));

        var run = await harness.IngestAsync(corpus, ("records.jsonl", Encoding.UTF8.GetBytes(string.Join('\n', records))));

        Assert.Equal((40, 4, 40L), (run.Documents, run.Duplicates, run.Chunks));
        var file = Assert.Single(run.FileList);
        Assert.Equal((40, 4, 40L), (file.Documents, file.Duplicates, file.Chunks));
        var titles = (await harness.DocumentsAsync(corpus)).Select(d => d.Title).ToList();
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"record {i:D2}"), titles);
    }

    private static PreparedDocument Document(string text) =>
        new(text[..Math.Min(20, text.Length)], text, CorpusCopyWriter.Hash(text), 8, "test", false, [new PreparedChunk(0, text, 8, null)]);

    /// <summary>Asked on a connection of its own: activity seen inside a transaction is the snapshot of its first look.</summary>
    private static async Task<bool> WaitsForLockAsync(CorporaHarness harness, int processId, CancellationToken ct)
    {
        await using var command = harness.Database.DataSource.CreateCommand("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = @pid");
        command.Parameters.AddWithValue("pid", processId);
        return await command.ExecuteScalarAsync(ct) is true;
    }
}
