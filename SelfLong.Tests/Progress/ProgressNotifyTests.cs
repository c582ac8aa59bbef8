using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SelfLong.Jobs.Progress;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Progress;

namespace SelfLong.Tests.Progress;

[NeedsDatabase]
public sealed class ProgressNotifyTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Listener_NotifyFromAnotherConnection_ReachesOnlyThatRunsSubscriber()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        var subscriptions = new ProgressSubscriptions(NullLoggerFactory.Instance);
        using var listener = await ListeningAsync(database, subscriptions, ct);
        var reached = new Counter();
        var other = new Counter();
        using var follower = subscriptions.Follow(ProgressFeatures.Training, 42, reached.Increment);
        using var otherRun = subscriptions.Follow(ProgressFeatures.Training, 43, other.Increment);
        using var otherFeature = subscriptions.Follow(ProgressFeatures.Evaluation, 42, other.Increment);

        await NotifyAsync(database.DataSource, "training:42", ct);

        await WaitUntilAsync(() => reached.Value == 1);
        // The matching notification arrived; a later one for this feature shows the others were passed over, not late.
        await NotifyAsync(database.DataSource, "training:42", ct);
        await WaitUntilAsync(() => reached.Value == 2);
        Assert.Equal(0, other.Value);
        await listener.StopAsync(ct);
    }

    [Fact]
    public async Task Listener_ConnectionTerminated_ReconnectsRefreshesPagesAndResumes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        var subscriptions = new ProgressSubscriptions(NullLoggerFactory.Instance);
        using var listener = await ListeningAsync(database, subscriptions, ct);
        var reached = new Counter();
        using var follower = subscriptions.Follow(ProgressFeatures.Synthesis, 5, reached.Increment);

        await using (var terminate = database.DataSource.CreateCommand(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()) t"))
        {
            terminate.Parameters.Add(new NpgsqlParameter { Value = ProgressListener.ApplicationName });
            Assert.Equal(1L, await terminate.ExecuteScalarAsync(ct));
        }

        await WaitUntilAsync(() => listener.Sessions == 2);
        // Notifications sent while it was away are lost, so it tells every page to re-read once.
        await WaitUntilAsync(() => reached.Value == 1);
        await NotifyAsync(database.DataSource, "synthesis:5", ct);
        await WaitUntilAsync(() => reached.Value == 2);
        await listener.StopAsync(ct);
    }

    [Fact]
    public async Task Publisher_BurstOfWrites_CoalescedToFewNotificationsEndingAfterTheLastWrite()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        var received = new ConcurrentQueue<(string Payload, long At)>();
        await using var listen = new NpgsqlConnection(database.ConnectionString);
        await listen.OpenAsync(ct);
        listen.Notification += (_, e) => received.Enqueue((e.Payload, Stopwatch.GetTimestamp()));
        await using (var command = new NpgsqlCommand($"LISTEN {ProgressNotice.Channel}", listen)) await command.ExecuteNonQueryAsync(ct);
        using var stopListening = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pump = PumpAsync(listen, stopListening.Token);

        var interval = TimeSpan.FromMilliseconds(200);
        await using var publisher = new ProgressPublisher(database.DataSource, NullLogger<ProgressPublisher>.Instance) { MinInterval = interval };
        var burst = Stopwatch.StartNew();
        var calls = 0;
        publisher.Publish(ProgressFeatures.Synthesis, 8);
        long lastCall = 0;
        while (burst.Elapsed < TimeSpan.FromSeconds(1))
        {
            publisher.Publish(ProgressFeatures.Synthesis, 7);
            lastCall = Stopwatch.GetTimestamp();
            calls++;
            if (calls % 10 == 0) await Task.Delay(1, ct);
        }
        // The trailing notification, sent after the last write once the interval has passed.
        await Poll.UntilAsync(() => received.Any(r => r.Payload == "synthesis:7" && r.At > lastCall), "the notification after the last write",
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20));
        await stopListening.CancelAsync();
        await pump;

        var seven = received.Where(r => r.Payload == "synthesis:7").ToList();
        Assert.True(calls >= 200, $"the burst made only {calls} calls");
        // One second at one per 200 ms: the leading one, about five more, and no flood.
        Assert.InRange(seven.Count, 3, 8);
        Assert.True(seven[^1].At > lastCall, "the last write must be announced after it happened");
        Assert.Single(received, r => r.Payload == "synthesis:8");
    }

    /// <summary>A listener on the test's database, started and listening.</summary>
    private static async Task<ProgressListener> ListeningAsync(TestDatabase database, ProgressSubscriptions subscriptions, CancellationToken ct)
    {
        var listener = new ProgressListener(database.ConnectionString, subscriptions, NullLogger<ProgressListener>.Instance);
        await listener.StartAsync(ct);
        await WaitUntilAsync(() => listener.Sessions == 1);
        return listener;
    }

    private static async Task PumpAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        try
        {
            while (true) await connection.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task NotifyAsync(NpgsqlDataSource dataSource, string payload, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = ProgressNotice.Channel });
        command.Parameters.Add(new NpgsqlParameter { Value = payload });
        await command.ExecuteNonQueryAsync(ct);
    }

    private static Task WaitUntilAsync(Func<bool> condition) =>
        Poll.UntilAsync(condition, "the notification to reach its subscriber", Prompt, TimeSpan.FromMilliseconds(20));

    private sealed class Counter
    {
        private int value;
        public int Value => Volatile.Read(ref value);
        public Task Increment()
        {
            Interlocked.Increment(ref value);
            return Task.CompletedTask;
        }
    }
}
