using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Data;

namespace SelfLong.Jobs.Training;

/// <summary>
/// One training run at a time across every worker: a session-level PostgreSQL advisory lock held
/// on a connection of its own for the whole run. Hangfire.PostgreSql's distributed lock (behind
/// DisableConcurrentExecution) counts as expired after its DistributedLockTimeout (10 minutes) even
/// while its holder is still running, so a second run would start beside a long first one. An
/// advisory lock lasts exactly as long as its session, and a worker that dies releases it with its
/// connection.
/// </summary>
public sealed class TrainingGate : IAsyncDisposable
{
    /// <summary>Any fixed number; it only has to differ from other advisory locks of the database.</summary>
    private const long Key = 0x5E1F_7A1E;

    private readonly SelfLongDbContext db;
    private readonly System.Data.Common.DbConnection connection;

    private TrainingGate(SelfLongDbContext db)
    {
        this.db = db;
        connection = db.Database.GetDbConnection();
    }

    /// <summary>
    /// Takes the gate, or returns null at once when another run holds it: a waiting run must not sit
    /// on a Hangfire worker that ingestion, synthesis and evaluation need (its job is rescheduled).
    /// </summary>
    public static async Task<TrainingGate?> TryEnterAsync(IDbContextFactory<SelfLongDbContext> dbFactory, CancellationToken ct)
    {
        // The context's own connection, opened by hand, stays open (and holds the lock) until disposed.
        var db = await dbFactory.CreateDbContextAsync(ct);
        try
        {
            await db.Database.OpenConnectionAsync(ct);
            await using var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", (NpgsqlConnection)db.Database.GetDbConnection());
            take.Parameters.AddWithValue("key", Key);
            if (await take.ExecuteScalarAsync(ct) is true) return new TrainingGate(db);
            await db.DisposeAsync();
            return null;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", (NpgsqlConnection)connection);
            release.Parameters.AddWithValue("key", Key);
            await release.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // The session is gone, and its lock with it.
        }
        finally
        {
            await db.DisposeAsync();
        }
    }
}
