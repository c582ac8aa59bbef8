using System.Collections.Concurrent;
using Npgsql;
using SelfLong.Data.Endpoints;

namespace SelfLong.Jobs.Endpoints;

/// <summary>
/// Keeps the calls in flight to one endpoint at or below its MaxConcurrency across every worker
/// process: each call holds one of the endpoint's C PostgreSQL advisory locks ("slots") on its own
/// connection. A killed worker's connection closes and its slots free themselves. A local
/// semaphore in front stops one process from polling for slots it cannot get.
/// </summary>
public sealed class EndpointConcurrencyLimiter(NpgsqlDataSource dataSource)
{
    // Advisory lock keys are one bigint: a tag, the endpoint id, the slot number.
    private const long Tag = 0x5E1FL << 48;
    private readonly ConcurrentDictionary<(long, int), SemaphoreSlim> local = new();

    public async Task<IAsyncDisposable> AcquireAsync(ModelEndpoint endpoint, CancellationToken ct)
    {
        var slots = Math.Max(1, endpoint.MaxConcurrency);
        var semaphore = local.GetOrAdd((endpoint.Id, slots), _ => new SemaphoreSlim(slots));
        await semaphore.WaitAsync(ct);
        NpgsqlConnection? connection = null;
        try
        {
            connection = await dataSource.OpenConnectionAsync(ct);
            var first = Tag | (endpoint.Id << 16);
            var delay = TimeSpan.FromMilliseconds(5);
            while (true)
            {
                await using (var command = new NpgsqlCommand(
                    "SELECT s FROM generate_series(0, $1 - 1) AS s WHERE pg_try_advisory_lock($2 + s) LIMIT 1", connection))
                {
                    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = slots });
                    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = first });
                    if (await command.ExecuteScalarAsync(ct) is int slot)
                    {
                        return new Lease(semaphore, connection, first + slot);
                    }
                }
                // Another process holds every slot: wait a little longer each time, up to 200 ms.
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(200, delay.TotalMilliseconds * 2));
            }
        }
        catch
        {
            if (connection is not null) await connection.DisposeAsync();
            semaphore.Release();
            throw;
        }
    }

    private sealed class Lease(SemaphoreSlim semaphore, NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key });
                await command.ExecuteScalarAsync(CancellationToken.None);
            }
            finally
            {
                await connection.DisposeAsync();
                semaphore.Release();
            }
        }
    }
}
