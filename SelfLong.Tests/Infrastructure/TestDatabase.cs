using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Data;

namespace SelfLong.Tests.Infrastructure;

/// <summary>A migrated database owned by one test; dropped on dispose.</summary>
public sealed class TestDatabase : IAsyncDisposable, IDbContextFactory<SelfLongDbContext>
{
    private TestDatabase(string name)
    {
        Name = name;
        ConnectionString = TestPostgres.ConnectionStringFor(name);
        DataSource = DataExtensions.BuildDataSource(ConnectionString);
    }

    public string Name { get; }
    public string ConnectionString { get; }
    public NpgsqlDataSource DataSource { get; }

    public static async Task<TestDatabase> CreateAsync()
    {
        TestNeeds.Require(TestNeeds.Database, nameof(TestDatabase));
        return new(await TestPostgres.CreateMigratedDatabaseAsync());
    }

    public SelfLongDbContext CreateDbContext()
    {
        var options = new DbContextOptionsBuilder<SelfLongDbContext>();
        DataExtensions.Configure(options, DataSource);
        return new SelfLongDbContext(options.Options);
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await TestPostgres.DropDatabaseAsync(Name);
    }
}
