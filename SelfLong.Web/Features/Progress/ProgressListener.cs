using Npgsql;
using SelfLong.Jobs.Progress;

namespace SelfLong.Web.Features.Progress;

/// <summary>
/// One per web process: a dedicated PostgreSQL connection that LISTENs on the progress channel and
/// hands each notification to <see cref="ProgressSubscriptions"/>. Jobs in any process (this one,
/// SelfLong.Jobs workers, the CLI) reach it through the database. A dropped connection is reopened
/// with exponential backoff, and every page re-reads once it is back.
/// </summary>
public sealed class ProgressListener(string connectionString, ProgressSubscriptions subscriptions, ILogger<ProgressListener> logger)
    : BackgroundService
{
    /// <summary>How the listening connection shows in pg_stat_activity.</summary>
    public const string ApplicationName = "selflong-progress-listener";

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    private int sessions;

    /// <summary>How many times LISTEN has been established (1 after start, +1 per reconnect).</summary>
    public int Sessions => Volatile.Read(ref sessions);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = FirstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(() => retry = FirstRetry, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The message names the failure (e.g. "terminating connection due to administrator
                // command"), never the connection string.
                logger.LogWarning("Progress listener lost PostgreSQL ({Error}); retrying in {Delay} ms.", e.Message, retry.TotalMilliseconds);
            }
            try
            {
                await Task.Delay(retry, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
        }
    }

    private async Task ListenAsync(Action connected, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ListenerConnectionString(connectionString));
        await connection.OpenAsync(ct);
        connection.Notification += (_, e) =>
        {
            if (ProgressNotice.TryParse(e.Payload, out var notice)) subscriptions.Publish(notice);
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {ProgressNotice.Channel}", connection))
            await listen.ExecuteNonQueryAsync(ct);
        connected();
        if (Interlocked.Increment(ref sessions) > 1)
        {
            logger.LogInformation("Progress listener reconnected; refreshing open pages.");
            subscriptions.PublishAll();
        }
        while (true) await connection.WaitAsync(ct);
    }

    /// <summary>
    /// Its own physical connection (a pooled one would go back to the pool still listening), with
    /// keepalives so a silently dead TCP connection is noticed while waiting.
    /// </summary>
    private static string ListenerConnectionString(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            KeepAlive = 15,
            ApplicationName = ApplicationName,
        }.ConnectionString;
}
