using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Data;

namespace SelfLong.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the suite runs against (`./selflong test` starts it and sets
/// SELFLONG_TEST_ADMIN_CONNECTION). A migrated template database is made once per run; each test
/// database is a cheap copy of it, so no test sees another's rows.
/// </summary>
public static class TestPostgres
{
    private static readonly SemaphoreSlim TemplateLock = new(1, 1);
    private static string? templateName;

    public static string AdminConnectionString
    {
        get
        {
            TestNeeds.Require(TestNeeds.Database, "This test's database");
            return Environment.GetEnvironmentVariable("SELFLONG_TEST_ADMIN_CONNECTION")
                ?? throw new InvalidOperationException(
                    "SELFLONG_TEST_ADMIN_CONNECTION is not set. Run the suite with `./selflong test`, which starts PostgreSQL and sets it.");
        }
    }

    public static string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, Pooling = true }.ConnectionString;

    /// <summary>An empty database with no migrations applied.</summary>
    public static async Task<string> CreateEmptyDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await ExecuteAdminAsync($"CREATE DATABASE \"{name}\"");
        return name;
    }

    /// <summary>A fresh copy of the migrated template.</summary>
    public static async Task<string> CreateMigratedDatabaseAsync(string prefix = "t")
    {
        var template = await EnsureTemplateAsync();
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await ExecuteAdminAsync($"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
        return name;
    }

    public static async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAdminAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    private static async Task<string> EnsureTemplateAsync()
    {
        await TemplateLock.WaitAsync();
        try
        {
            if (templateName is not null) return templateName;
            var name = $"tpl_{Guid.NewGuid():N}";
            await ExecuteAdminAsync($"CREATE DATABASE \"{name}\"");
            var options = new DbContextOptionsBuilder<SelfLongDbContext>();
            DataExtensions.Configure(options, ConnectionStringFor(name) + ";Pooling=false");
            await using (var db = new SelfLongDbContext(options.Options))
            {
                await db.Database.MigrateAsync();
            }
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                DropDatabaseAsync(name).GetAwaiter().GetResult();
            return templateName = name;
        }
        finally
        {
            TemplateLock.Release();
        }
    }

    private static async Task ExecuteAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
