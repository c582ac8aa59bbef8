using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SelfLong.Tests.Infrastructure;

/// <summary>
/// Counts the suite app's database reads that a test watches for, so "a page does not poll" is a
/// count of queries, not a quiet interval. Nothing is kept for commands no watch matches.
/// </summary>
public sealed class QueryCounter : DbCommandInterceptor
{
    private readonly ConcurrentDictionary<Watch, byte> watches = new();

    /// <summary>Counts every read from now on that <paramref name="matches"/>; dispose to stop.</summary>
    public Watch Start(Func<DbCommand, bool> matches)
    {
        var watch = new Watch(matches, w => watches.TryRemove(w, out _));
        watches[watch] = 0;
        return watch;
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Seen(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Seen(command);
        return ValueTask.FromResult(result);
    }

    private void Seen(DbCommand command)
    {
        foreach (var watch in watches.Keys) watch.Seen(command);
    }

    /// <summary>True when a parameter of <paramref name="command"/> holds <paramref name="value"/>.</summary>
    public static bool HasParameter(DbCommand command, long value) =>
        command.Parameters.Cast<DbParameter>().Any(p => p.Value is long l && l == value || p.Value is int i && i == value);

    public sealed class Watch(Func<DbCommand, bool> matches, Action<Watch> stop) : IDisposable
    {
        private readonly Lock gate = new();
        private readonly List<DateTime> times = [];

        public int Count { get { lock (gate) return times.Count; } }

        /// <summary>When the newest counted read started (UTC).</summary>
        public DateTime? Last { get { lock (gate) return times.Count == 0 ? null : times[^1]; } }

        internal void Seen(DbCommand command)
        {
            if (!matches(command)) return;
            lock (gate) times.Add(DateTime.UtcNow);
        }

        public void Dispose() => stop(this);
    }
}
