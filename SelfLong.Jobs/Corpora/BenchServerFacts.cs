using Npgsql;

namespace SelfLong.Jobs.Corpora;

/// <summary>
/// The database server's settings that `bench corpus` figures depend on, printed with them so two
/// runs can be told apart: an HNSW search at a million chunks visits about 20,000 pages of shared
/// buffers, and whether those sit on huge pages moved its time by a quarter here (README "Run 16").
/// </summary>
public static class BenchServerFacts
{
    /// <summary>
    /// Version, shared_buffers, the huge_pages setting and, on PostgreSQL 17 and later, whether the
    /// server got huge pages (huge_pages_status); null before 17, which cannot tell.
    /// </summary>
    public static async Task<object> ReadAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'), current_setting('huge_pages'), " +
            "current_setting('huge_pages_status', true)");
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new
        {
            postgresql = reader.GetString(0),
            shared_buffers = reader.GetString(1),
            huge_pages = reader.GetString(2),
            huge_pages_status = reader.IsDBNull(3) ? null : reader.GetString(3),
            client_cores = Environment.ProcessorCount,
        };
    }
}
