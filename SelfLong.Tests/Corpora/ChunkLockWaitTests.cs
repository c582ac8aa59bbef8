using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

/// <summary>
/// A lock on chunks that writers conflict with (a SHARE lock, as a migration or an index built
/// without CONCURRENTLY takes for minutes) must hold up a run's writes, not fail them at the
/// command timeout.
/// </summary>
[NeedsDatabase]
public sealed class ChunkLockWaitTests
{
    private const int CommandTimeoutSeconds = 2;

    [Fact]
    public async Task WriteAsync_ChunksLockedPastTheCommandTimeout_WaitsForTheLockAndStores()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpusId = await harness.CreateCorpusAsync();
        int dimension;
        await using (var db = harness.Database.CreateDbContext())
            dimension = await db.Corpora.Where(c => c.Id == corpusId).Select(c => c.EmbeddingDimension).SingleAsync(ct);
        // The lock a plain CREATE INDEX holds for its whole build.
        await using var build = new NpgsqlConnection(harness.Database.ConnectionString);
        await build.OpenAsync(ct);
        await using var buildTransaction = await build.BeginTransactionAsync(ct);
        await using (var share = new NpgsqlCommand("LOCK TABLE chunks IN SHARE MODE", build, buildTransaction))
            await share.ExecuteNonQueryAsync(ct);
        await using var writer = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(harness.Database.ConnectionString)
        {
            CommandTimeout = CommandTimeoutSeconds,
        }.ConnectionString);
        await writer.OpenAsync(ct);
        const string text = "A whale rose near the ice while the crew watched.";
        var document = new PreparedDocument("whale", text, CorpusCopyWriter.Hash(text), 11, "test", false, [new PreparedChunk(0, text, 11, null)]);

        var write = CorpusCopyWriter.WriteAsync(writer, corpusId, null, dimension, [document], ct);
        await Poll.UntilAsync(() => WaitsForLockAsync(harness.Database.DataSource, writer.ProcessID, ct), "the writer waiting for the lock on chunks");
        // Well past the writer's command timeout: a write that gave up would have failed by now.
        await Task.Delay(TimeSpan.FromSeconds(3 * CommandTimeoutSeconds), ct);
        Assert.False(write.IsCompleted, write.Exception?.InnerException?.Message ?? "the write ended while chunks were locked");
        await buildTransaction.CommitAsync(ct);
        var (written, duplicates, chunks, _) = await write;

        Assert.Equal((1, 0, 1L), (written, duplicates, chunks));
        Assert.Single(await harness.DocumentsAsync(corpusId));
    }

    /// <summary>Asked on a connection of its own: activity seen inside a transaction is the snapshot of its first look.</summary>
    private static async Task<bool> WaitsForLockAsync(NpgsqlDataSource dataSource, int processId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = @pid");
        command.Parameters.AddWithValue("pid", processId);
        return await command.ExecuteScalarAsync(ct) is true;
    }
}
