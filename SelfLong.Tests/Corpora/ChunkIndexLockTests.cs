using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

/// <summary>
/// One corpus's HNSW index being built or dropped must not stop other corpora's writes and
/// searches. Each test holds the build or the drop open behind a transaction of another run, the
/// way a long upload does, and checks that work on a third corpus still goes through meanwhile.
/// Locks that do queue up would wait for ever, so each test has a time limit.
/// </summary>
[NeedsDatabase]
public sealed class ChunkIndexLockTests
{
    private static readonly TimeSpan GoesThrough = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 180_000)]
    public async Task EnsureAsync_WaitingForAnotherRunsWrite_LetsLaterWritesThrough()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var (building, writing) = (await harness.CreateCorpusAsync(), await harness.CreateCorpusAsync());
        var dimension = await DimensionAsync(harness, building, ct);

        // Another run's write, still open: the build has to wait for it to end.
        await using var open = await OpenAsync(harness, ct);
        await using var openWrite = await open.BeginTransactionAsync(ct);
        await using (var rows = new NpgsqlCommand("LOCK TABLE chunks IN ROW EXCLUSIVE MODE", open, openWrite))
            await rows.ExecuteNonQueryAsync(ct);
        await using var builder = await OpenAsync(harness, ct);
        var build = ChunkVectorIndex.EnsureAsync(builder, building, dimension, ChunkVectorIndex.Build.Default, ct);
        await Poll.UntilAsync(() => WaitingAsync(harness, builder.ProcessID, ct), "the index build waiting for the open write");

        try
        {
            // A plain CREATE INDEX would now be queued for a SHARE lock, and this write queued behind it
            // (then cancelled at the limit, which fails the test).
            await using var writer = await OpenAsync(harness, ct);
            using var limit = Limit(ct);
            var (written, _, _, _) = await CorpusCopyWriter.WriteAsync(writer, writing, null, dimension, [Document("A whale rose near the ice.")], limit.Token);
            Assert.Equal(1, written);
            Assert.False(build.IsCompleted, "the build did not wait for the open write");
        }
        finally
        {
            // Ending the open write lets everything queued behind it go on, whatever happened above.
            await open.CloseAsync();
        }
        await build;
        Assert.True(await ValidIndexAsync(harness, building, ct));
    }

    [Fact(Timeout = 180_000)]
    public async Task DropAsync_WaitingForAnotherRunsSearch_LetsLaterSearchesThrough()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var (dropping, searching) = (await harness.CreateCorpusAsync(), await harness.CreateCorpusAsync());
        var dimension = await DimensionAsync(harness, dropping, ct);
        await using (var builder = await OpenAsync(harness, ct))
            await ChunkVectorIndex.EnsureAsync(builder, dropping, dimension, ChunkVectorIndex.Build.Default, ct);

        // Another run's search, inside a transaction still open: the drop has to wait for it.
        await using var open = await OpenAsync(harness, ct);
        await using var openRead = await open.BeginTransactionAsync(ct);
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM chunks", open, openRead))
            await read.ExecuteScalarAsync(ct);
        await using var dropper = await OpenAsync(harness, ct);
        var drop = ChunkVectorIndex.DropAsync(dropper, dropping, ct);
        await Poll.UntilAsync(() => WaitingAsync(harness, dropper.ProcessID, ct), "the drop waiting for the open search");

        try
        {
            // A plain DROP INDEX would now be queued for an ACCESS EXCLUSIVE lock, and this search behind
            // it (then cancelled at the limit, which fails the test).
            await using var searcher = await OpenAsync(harness, ct);
            await using var search = new NpgsqlCommand("SELECT count(*) FROM chunks WHERE corpus_id = @c", searcher);
            search.Parameters.AddWithValue("c", searching);
            using var limit = Limit(ct);
            Assert.Equal(0L, await search.ExecuteScalarAsync(limit.Token));
            Assert.False(drop.IsCompleted, "the drop did not wait for the open search");
        }
        finally
        {
            await open.CloseAsync();
        }
        await drop;
        Assert.Null(await ValidIndexAsync(harness, dropping, ct));
    }

    [Fact(Timeout = 180_000)]
    public async Task EnsureAsync_IndexLeftInvalidByAnInterruptedBuild_BuildsItAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        var dimension = await DimensionAsync(harness, corpus, ct);
        await using var connection = await OpenAsync(harness, ct);
        await ChunkVectorIndex.EnsureAsync(connection, corpus, dimension, ChunkVectorIndex.Build.Default, ct);
        // What a CONCURRENTLY build that failed or was cancelled leaves behind.
        await using (var invalidate = new NpgsqlCommand(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = @name::regclass", connection))
        {
            invalidate.Parameters.AddWithValue("name", ChunkVectorIndex.NameFor(corpus));
            await invalidate.ExecuteNonQueryAsync(ct);
        }
        Assert.False(await ValidIndexAsync(harness, corpus, ct));

        await ChunkVectorIndex.EnsureAsync(connection, corpus, dimension, ChunkVectorIndex.Build.Default, ct);

        Assert.True(await ValidIndexAsync(harness, corpus, ct));
    }

    [Fact(Timeout = 180_000)]
    public async Task Ingestion_BothIndexesLeftInvalid_BuildsBothAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        await harness.IngestAsync(corpus, ("a.jsonl", TestFiles.Utf8("{\"text\": \"Lighthouses guide ships.\"}")));
        string[] indexes = [ChunkVectorIndex.NameFor(corpus), ChunkTextIndex.NameFor(corpus)];
        await using (var invalidate = harness.Database.DataSource.CreateCommand(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = ANY(SELECT oid FROM pg_class WHERE relname = ANY(@names))"))
        {
            invalidate.Parameters.AddWithValue("names", indexes);
            Assert.Equal(2, await invalidate.ExecuteNonQueryAsync(ct));
        }

        // The next load drops both in its turn, then builds them at once: neither waits on the other.
        var run = await harness.IngestAsync(corpus, ("b.jsonl", TestFiles.Utf8("{\"text\": \"Tariffs protect steel.\"}")));

        Assert.Equal(SelfLong.Data.Runs.RunStatus.Succeeded, run.Status);
        foreach (var index in indexes) Assert.True(await ValidIndexAsync(harness, index, ct), index);
    }

    [Fact(Timeout = 180_000)]
    public async Task EnsureAsync_ThreeCorporaBuiltAtOnce_AllBuiltWithoutADeadlock()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        List<long> corpora = [await harness.CreateCorpusAsync(), await harness.CreateCorpusAsync(), await harness.CreateCorpusAsync()];
        var dimension = await DimensionAsync(harness, corpora[0], ct);

        // An open write holds the first build in its first wait; the others start meanwhile. Built
        // side by side, the first would later wait for a snapshot of one still queued for its
        // table lock, and PostgreSQL would abort one build as a deadlock.
        await using var open = await OpenAsync(harness, ct);
        await using var openWrite = await open.BeginTransactionAsync(ct);
        await using (var rows = new NpgsqlCommand("LOCK TABLE chunks IN ROW EXCLUSIVE MODE", open, openWrite))
            await rows.ExecuteNonQueryAsync(ct);
        var builders = new List<NpgsqlConnection>();
        var builds = new List<Task>();
        try
        {
            foreach (var corpus in corpora)
            {
                var builder = await OpenAsync(harness, ct);
                builders.Add(builder);
                builds.Add(ChunkVectorIndex.EnsureAsync(builder, corpus, dimension, ChunkVectorIndex.Build.Default, ct));
                if (builds.Count == 1) await Poll.UntilAsync(() => WaitingAsync(harness, builder.ProcessID, ct), "the first build waiting for the open write");
            }
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
        finally
        {
            await open.CloseAsync();
        }

        await Task.WhenAll(builds);
        foreach (var corpus in corpora) Assert.True(await ValidIndexAsync(harness, corpus, ct));
        foreach (var builder in builders) await builder.DisposeAsync();
    }

    [Fact(Timeout = 180_000)]
    public async Task SettleAsync_WhileAnotherIngestionsIndexBuilds_WaitsItsTurnInsteadOfDeadlocking()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var building = await harness.CreateCorpusAsync();
        var dimension = await DimensionAsync(harness, building, ct);

        // An open write holds the build in its first wait, with the table lock ANALYZE needs; an
        // ANALYZE queued for it would hold a snapshot the build then waits for (40P01).
        await using var open = await OpenAsync(harness, ct);
        await using var openWrite = await open.BeginTransactionAsync(ct);
        await using (var rows = new NpgsqlCommand("LOCK TABLE chunks IN ROW EXCLUSIVE MODE", open, openWrite))
            await rows.ExecuteNonQueryAsync(ct);
        await using var builder = await OpenAsync(harness, ct);
        var build = ChunkVectorIndex.EnsureAsync(builder, building, dimension, ChunkVectorIndex.Build.Default, ct);
        await using var settler = await OpenAsync(harness, ct);
        Task settle;
        try
        {
            await Poll.UntilAsync(() => WaitingAsync(harness, builder.ProcessID, ct), "the index build waiting for the open write");
            settle = ChunkTableSettle.SettleAsync(settler, building, ct);
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
        finally
        {
            await open.CloseAsync();
        }

        await Task.WhenAll(build, settle);
        Assert.True(await ValidIndexAsync(harness, building, ct));
    }

    /// <summary>Cancels (in PostgreSQL too) work that does not go through in time, so a lock wait fails the test rather than hanging it.</summary>
    private static CancellationTokenSource Limit(CancellationToken ct)
    {
        var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(GoesThrough);
        return limit;
    }

    private static PreparedDocument Document(string text) =>
        new("whale", text, CorpusCopyWriter.Hash(text), 8, "test", false, [new PreparedChunk(0, text, 8, null)]);

    private static async Task<int> DimensionAsync(CorporaHarness harness, long corpusId, CancellationToken ct)
    {
        await using var db = harness.Database.CreateDbContext();
        return await db.Corpora.Where(c => c.Id == corpusId).Select(c => c.EmbeddingDimension).SingleAsync(ct);
    }

    private static async Task<NpgsqlConnection> OpenAsync(CorporaHarness harness, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(harness.Database.ConnectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    /// <summary>Asked on a connection of its own: activity seen inside a transaction is the snapshot of its first look.</summary>
    private static async Task<bool> WaitingAsync(CorporaHarness harness, int processId, CancellationToken ct)
    {
        await using var command = harness.Database.DataSource.CreateCommand("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = @pid");
        command.Parameters.AddWithValue("pid", processId);
        return await command.ExecuteScalarAsync(ct) is true;
    }

    /// <summary>Whether the corpus's index is valid; null when there is none.</summary>
    private static Task<bool?> ValidIndexAsync(CorporaHarness harness, long corpusId, CancellationToken ct) =>
        ValidIndexAsync(harness, ChunkVectorIndex.NameFor(corpusId), ct);

    private static async Task<bool?> ValidIndexAsync(CorporaHarness harness, string index, CancellationToken ct)
    {
        await using var command = harness.Database.DataSource.CreateCommand(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = @name");
        command.Parameters.AddWithValue("name", index);
        return await command.ExecuteScalarAsync(ct) as bool?;
    }
}
