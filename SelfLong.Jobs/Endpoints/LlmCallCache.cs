using Npgsql;
using SelfLong.Data.Endpoints;

namespace SelfLong.Jobs.Endpoints;

/// <summary>
/// The <see cref="LlmCall"/> table as the cache of model calls: one lookup before every call and
/// one insert after every answered call. This is the hot path of synthesis, so it uses plain
/// commands (a DbContext per call cost more CPU than the call's own HTTP work) and at most
/// <see cref="Connections"/> connections at once: a long sample fans out hundreds of summary calls
/// together, and unbounded they each took a pooled connection (opening up to the pool's maximum of
/// new PostgreSQL backends, each with a password exchange), which starved the CPU of the calls in
/// flight and made the limiter's slot connections wait in the same pool.
/// </summary>
public sealed class LlmCallCache(NpgsqlDataSource dataSource)
{
    /// <summary>Concurrent cache queries per process; each takes well under a millisecond, so this is far above C/L.</summary>
    public const int Connections = 8;

    private readonly SemaphoreSlim gate = new(Connections);

    public async Task<LlmResult?> FindAsync(string hash, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            await using var command = dataSource.CreateCommand(
                """SELECT "ResponseText", "PromptTokens", "CompletionTokens", "LatencyMs" FROM llm_calls WHERE "Hash" = $1""");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = hash });
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct)
                ? new LlmResult(reader.GetString(0), true, reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3))
                : null;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Stores an answered call before its answer is used, so a resumed run never pays for it again.
    /// Not cancellable: the call is paid for. If the same call finished in another job first, its
    /// answer is as good as ours and stays.
    /// </summary>
    public async Task StoreAsync(ModelEndpoint endpoint, string hash, string requestJson, LlmResult result)
    {
        await gate.WaitAsync(CancellationToken.None);
        try
        {
            await using var command = dataSource.CreateCommand(
                """
                INSERT INTO llm_calls ("Hash", "EndpointId", "Model", "RequestJson", "ResponseText", "PromptTokens", "CompletionTokens", "LatencyMs", "CreatedAt")
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
                ON CONFLICT ("Hash") DO NOTHING
                """);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = hash });
            command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = endpoint.Id == 0 ? null : endpoint.Id });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = endpoint.Model ?? "" });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = requestJson });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = result.Text });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = result.PromptTokens });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = result.CompletionTokens });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = result.LatencyMs });
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        finally
        {
            gate.Release();
        }
    }
}
