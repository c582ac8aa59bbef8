using Npgsql;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

[NeedsDatabase]
public sealed class TrainingGateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TryEnterAsync_SecondRunIsTurnedAwayUntilTheFirstLeaves()
    {
        await using var database = await TestDatabase.CreateAsync();
        var first = await TrainingGate.TryEnterAsync(database, Ct);
        Assert.NotNull(first);
        Assert.Null(await TrainingGate.TryEnterAsync(database, Ct));

        await first.DisposeAsync();
        await using var entered = await TrainingGate.TryEnterAsync(database, Ct);
        Assert.NotNull(entered);
    }

    [Fact]
    public async Task TryEnterAsync_HolderWhoseSessionDies_ReleasesTheGate()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var first = await TrainingGate.TryEnterAsync(database, Ct);
        Assert.NotNull(first);
        Assert.Null(await TrainingGate.TryEnterAsync(database, Ct));

        // A worker killed mid-run: its session ends, and the next run may go ahead. Only this test's
        // database is touched: other tests' sessions share the cluster.
        await using (var admin = new NpgsqlConnection(database.ConnectionString))
        {
            await admin.OpenAsync(Ct);
            await using var kill = new NpgsqlCommand(
                "SELECT array_agg(pid) FROM (SELECT pid, pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted " +
                "AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) killed", admin);
            var killed = (int[])(await kill.ExecuteScalarAsync(Ct))!;
            Assert.NotEmpty(killed);
            // pg_terminate_backend only signals: the lock goes when the backend has exited.
            await using var gone = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(@pids)", admin);
            gone.Parameters.AddWithValue("pids", killed);
            await Poll.UntilAsync(async () => (long)(await gone.ExecuteScalarAsync(Ct))! == 0, "the killed session to exit",
                TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
        }
        await using var entered = await TrainingGate.TryEnterAsync(database, Ct);
        Assert.NotNull(entered);
    }
}
