using System.Collections.Concurrent;
using Npgsql;
using SelfLong.Data.Endpoints;

namespace SelfLong.Jobs.Endpoints;

/// <summary>
/// Keeps the calls in flight to one endpoint at or below its MaxConcurrency across every worker
/// process: each call leases one of the endpoint's slots (a row of <c>endpoint_call_slots</c>) and
/// gives it back when the attempt ends. No database connection is held while the model works: a
/// lease is two short statements, and one whose worker was killed expires by itself after the
/// endpoint's timeout. A local semaphore in front stops one process from polling for slots it
/// cannot get.
/// </summary>
public sealed class EndpointConcurrencyLimiter(NpgsqlDataSource dataSource)
{
    /// <summary>Beyond the endpoint's timeout, how long a lease outlives a worker that never returned it.</summary>
    public static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(long, int), SemaphoreSlim> local = new();
    private readonly ConcurrentDictionary<(long, int), bool> slotRows = new();

    public async Task<IAsyncDisposable> AcquireAsync(ModelEndpoint endpoint, CancellationToken ct)
    {
        var count = Math.Max(1, endpoint.MaxConcurrency);
        var semaphore = local.GetOrAdd((endpoint.Id, count), _ => new SemaphoreSlim(count));
        await semaphore.WaitAsync(ct);
        try
        {
            var lease = TimeSpan.FromSeconds(Math.Max(1, endpoint.TimeoutSeconds)) + LeaseMargin;
            var holder = Guid.NewGuid();
            var slot = await LeaseAsync(endpoint.Id, count, holder, lease, ct);
            return new Lease(this, semaphore, endpoint.Id, slot, holder);
        }
        catch
        {
            semaphore.Release();
            throw;
        }
    }

    private async Task<int> LeaseAsync(long endpointId, int count, Guid holder, TimeSpan lease, CancellationToken ct)
    {
        if (!slotRows.ContainsKey((endpointId, count)))
        {
            await using var insert = dataSource.CreateCommand(
                "INSERT INTO endpoint_call_slots (endpoint_id, slot) SELECT $1, s FROM generate_series(0, $2 - 1) AS s ON CONFLICT DO NOTHING");
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = endpointId });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
            await insert.ExecuteNonQueryAsync(ct);
            slotRows[(endpointId, count)] = true;
        }
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            await using (var command = dataSource.CreateCommand("""
                UPDATE endpoint_call_slots SET holder = $3, expires_at = now() + $4
                WHERE (endpoint_id, slot) = (
                    SELECT endpoint_id, slot FROM endpoint_call_slots
                    WHERE endpoint_id = $1 AND slot < $2 AND (holder IS NULL OR expires_at < now())
                    ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING slot
                """))
            {
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = endpointId });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
                command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = holder });
                command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease });
                if (await command.ExecuteScalarAsync(ct) is int slot) return slot;
            }
            // Other processes hold every slot: wait a little longer each time, up to 200 ms.
            await Task.Delay(delay, ct);
            delay = TimeSpan.FromMilliseconds(Math.Min(200, delay.TotalMilliseconds * 2));
        }
    }

    private async Task ReleaseAsync(long endpointId, int slot, Guid holder)
    {
        try
        {
            await using var command = dataSource.CreateCommand(
                "UPDATE endpoint_call_slots SET holder = NULL, expires_at = NULL WHERE endpoint_id = $1 AND slot = $2 AND holder = $3");
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = endpointId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = slot });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = holder });
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // The database is away: the lease expires by itself.
        }
    }

    private sealed class Lease(EndpointConcurrencyLimiter limiter, SemaphoreSlim semaphore, long endpointId, int slot, Guid holder) : IAsyncDisposable
    {
        private int disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            try
            {
                await limiter.ReleaseAsync(endpointId, slot, holder);
            }
            finally
            {
                semaphore.Release();
            }
        }
    }
}
