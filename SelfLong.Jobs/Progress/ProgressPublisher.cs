using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SelfLong.Jobs.Progress;

/// <summary>
/// Tells every web process, through PostgreSQL NOTIFY, that a run's progress rows changed.
/// Jobs call <see cref="Publish"/> after they commit progress; calls for one (feature, run) are
/// coalesced to at most one notification per <see cref="MinInterval"/>: the first goes out at once,
/// later ones inside the interval collapse into a single trailing notification, so the last
/// write is always announced while a job writing hundreds of rows a second sends only a few.
/// </summary>
/// <remarks>
/// Explicit pg_notify from the writer rather than triggers in a migration: a trigger fires once
/// per writing transaction and cannot coalesce across transactions without a throttle row that
/// every writer would then contend on, whereas the writing process already knows when it wrote.
/// It also keeps the EF model free of raw SQL. Writers that skip it (or a notification that is
/// lost) are covered by the pages' slow safety refresh.
/// </remarks>
public sealed class ProgressPublisher(NpgsqlDataSource dataSource, ILogger<ProgressPublisher> logger) : IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<ProgressNotice, Gate> gates = new();
    private readonly ConcurrentDictionary<Task, byte> inFlight = new();

    /// <summary>Shortest gap between two notifications for the same run.</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    public void Publish(string feature, long runId)
    {
        var notice = new ProgressNotice(feature, runId);
        var gate = gates.GetOrAdd(notice, _ => new Gate());
        TimeSpan wait;
        lock (gate)
        {
            if (gate.TrailingPending) return;
            var since = gate.LastSent is { } last ? Stopwatch.GetElapsedTime(last) : TimeSpan.MaxValue;
            if (since >= MinInterval)
            {
                gate.LastSent = Stopwatch.GetTimestamp();
                wait = TimeSpan.Zero;
            }
            else
            {
                gate.TrailingPending = true;
                wait = MinInterval - since;
            }
        }
        Track(wait == TimeSpan.Zero ? SendAsync(notice) : SendLaterAsync(notice, gate, wait));
    }

    private async Task SendLaterAsync(ProgressNotice notice, Gate gate, TimeSpan wait)
    {
        await Task.Delay(wait);
        lock (gate)
        {
            gate.TrailingPending = false;
            gate.LastSent = Stopwatch.GetTimestamp();
        }
        await SendAsync(notice);
    }

    private async Task SendAsync(ProgressNotice notice)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT pg_notify($1, $2)");
            command.Parameters.Add(new NpgsqlParameter { Value = ProgressNotice.Channel });
            command.Parameters.Add(new NpgsqlParameter { Value = notice.ToPayload() });
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception e)
        {
            // Best effort by design: the progress itself is stored, and open pages catch up on
            // their safety refresh; a failed notification must not fail the job that wrote it.
            logger.LogWarning("Could not notify progress of {Feature} {RunId}: {Error}", notice.Feature, notice.RunId, e.Message);
        }
    }

    private void Track(Task task)
    {
        inFlight.TryAdd(task, 0);
        _ = task.ContinueWith(t => inFlight.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <summary>Lets pending trailing notifications out, so a CLI run's last write is announced before exit.</summary>
    public async ValueTask DisposeAsync() =>
        await Task.WhenAny(Task.WhenAll(inFlight.Keys), Task.Delay(MinInterval + TimeSpan.FromSeconds(1)));

    public void Dispose() => Task.WaitAll([.. inFlight.Keys], MinInterval + TimeSpan.FromSeconds(1));

    private sealed class Gate
    {
        public long? LastSent;
        public bool TrailingPending;
    }
}
