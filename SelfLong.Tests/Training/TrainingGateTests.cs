using Npgsql;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

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
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() " +
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", admin);
            await kill.ExecuteNonQueryAsync(Ct);
        }
        await using var entered = await TrainingGate.TryEnterAsync(database, Ct);
        Assert.NotNull(entered);
    }
}
