using Npgsql;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

public sealed class TrainingGateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnterAsync_SecondRunWaitsUntilTheFirstLeaves()
    {
        await using var database = await TestDatabase.CreateAsync();
        var first = await TrainingGate.EnterAsync(database, Ct);
        var second = TrainingGate.EnterAsync(database, Ct);

        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.False(second.IsCompleted, "the second run must wait while the first holds the gate");

        await first.DisposeAsync();
        await using var entered = await second.WaitAsync(TimeSpan.FromSeconds(30), Ct);
    }

    [Fact]
    public async Task EnterAsync_HolderWhoseSessionDies_ReleasesTheGate()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var first = await TrainingGate.EnterAsync(database, Ct);
        var second = TrainingGate.EnterAsync(database, Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        Assert.False(second.IsCompleted);

        // A worker killed mid-run: its session ends, and the waiting run goes ahead. Only this test's
        // database is touched: other tests' sessions share the cluster.
        await using (var admin = new NpgsqlConnection(database.ConnectionString))
        {
            await admin.OpenAsync(Ct);
            await using var kill = new NpgsqlCommand(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() " +
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", admin);
            await kill.ExecuteNonQueryAsync(Ct);
        }
        await using var entered = await second.WaitAsync(TimeSpan.FromSeconds(30), Ct);
    }

    [Fact]
    public async Task EnterAsync_CancelledWhileWaiting_Throws()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var first = await TrainingGate.EnterAsync(database, Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TrainingGate.EnterAsync(database, cancel.Token));
    }
}
