using System.Collections.Concurrent;
using Npgsql;
using SelfLong.Data.Endpoints;

namespace SelfLong.Jobs.Endpoints;

/// <summary>
/// Keeps the calls in flight to one endpoint at or below its MaxConcurrency across every worker
/// process: each call holds one of the endpoint's C PostgreSQL advisory locks ("slots"), each on
/// its own connection. A killed worker's connections close and its slots free themselves.
/// A local semaphore in front stops one process from polling for slots it cannot get, and a slot
/// just used is kept for <see cref="IdleRelease"/> so back-to-back calls cost no database round trip.
/// </summary>
public sealed class EndpointConcurrencyLimiter : IAsyncDisposable
{
    /// <summary>How long an unused slot stays with this process before other processes may take it.</summary>
    public static readonly TimeSpan IdleRelease = TimeSpan.FromMilliseconds(500);

    // Advisory lock keys are one bigint: a tag, the endpoint id, the slot number.
    private const long Tag = 0x5E1FL << 48;
    private readonly NpgsqlDataSource dataSource;
    private readonly ConcurrentDictionary<(long, int), Slots> endpoints = new();
    private readonly Timer sweeper;

    public EndpointConcurrencyLimiter(NpgsqlDataSource dataSource)
    {
        this.dataSource = dataSource;
        sweeper = new Timer(_ => _ = SweepAsync(), null, IdleRelease, IdleRelease);
    }

    public async Task<IAsyncDisposable> AcquireAsync(ModelEndpoint endpoint, CancellationToken ct)
    {
        var count = Math.Max(1, endpoint.MaxConcurrency);
        var slots = endpoints.GetOrAdd((endpoint.Id, count), _ => new Slots(count));
        await slots.Local.WaitAsync(ct);
        try
        {
            if (slots.TryTakeIdle(out var held)) return new Lease(slots, held);
            return new Lease(slots, await LockFreeSlotAsync(Tag | (endpoint.Id << 16), count, ct));
        }
        catch
        {
            slots.Local.Release();
            throw;
        }
    }

    private async Task<HeldSlot> LockFreeSlotAsync(long firstKey, int count, CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var delay = TimeSpan.FromMilliseconds(5);
            while (true)
            {
                await using (var command = new NpgsqlCommand(
                    "SELECT s FROM generate_series(0, $1 - 1) AS s WHERE pg_try_advisory_lock($2 + s) LIMIT 1", connection))
                {
                    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
                    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = firstKey });
                    if (await command.ExecuteScalarAsync(ct) is int slot) return new HeldSlot(connection, firstKey + slot);
                }
                // Another process holds every slot: wait a little longer each time, up to 200 ms.
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(200, delay.TotalMilliseconds * 2));
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task SweepAsync()
    {
        foreach (var slots in endpoints.Values)
        {
            foreach (var stale in slots.TakeStale(DateTime.UtcNow - IdleRelease)) await stale.ReleaseAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await sweeper.DisposeAsync();
        foreach (var slots in endpoints.Values)
        {
            foreach (var held in slots.TakeStale(DateTime.MaxValue)) await held.ReleaseAsync();
        }
    }

    private sealed class HeldSlot(NpgsqlConnection connection, long key)
    {
        public DateTime LastUsed { get; set; }

        public async Task ReleaseAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key });
                await command.ExecuteScalarAsync(CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The connection is gone, and with it the lock.
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    private sealed class Slots(int count)
    {
        private readonly List<HeldSlot> idle = [];
        public SemaphoreSlim Local { get; } = new(count);

        public bool TryTakeIdle(out HeldSlot held)
        {
            lock (idle)
            {
                if (idle.Count == 0)
                {
                    held = null!;
                    return false;
                }
                held = idle[^1];
                idle.RemoveAt(idle.Count - 1);
                return true;
            }
        }

        public void ReturnIdle(HeldSlot held)
        {
            held.LastUsed = DateTime.UtcNow;
            lock (idle) idle.Add(held);
        }

        public List<HeldSlot> TakeStale(DateTime usedBefore)
        {
            lock (idle)
            {
                var stale = idle.Where(h => h.LastUsed < usedBefore).ToList();
                idle.RemoveAll(stale.Contains);
                return stale;
            }
        }
    }

    private sealed class Lease(Slots slots, HeldSlot held) : IAsyncDisposable
    {
        private int disposed;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                slots.ReturnIdle(held);
                slots.Local.Release();
            }
            return ValueTask.CompletedTask;
        }
    }
}
