using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Data;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Foundation;

[NeedsDatabase]
public sealed class MigrationTests
{
    [Fact]
    public async Task Migrate_EmptyDatabase_CreatesSchemaAndVectorExtension()
    {
        var name = await TestPostgres.CreateEmptyDatabaseAsync();
        try
        {
            var options = new DbContextOptionsBuilder<SelfLongDbContext>();
            DataExtensions.Configure(options, TestPostgres.ConnectionStringFor(name));
            await using (var db = new SelfLongDbContext(options.Options))
            {
                Assert.NotEmpty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
                await db.Database.MigrateAsync(TestContext.Current.CancellationToken);
                Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
                Assert.Equal(0, await db.Users.CountAsync(TestContext.Current.CancellationToken));
            }

            await using var connection = new NpgsqlConnection(TestPostgres.ConnectionStringFor(name));
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = new NpgsqlCommand("SELECT extversion FROM pg_extension WHERE extname = 'vector'", connection);
            var version = (string?)await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
            Assert.False(string.IsNullOrEmpty(version));

            // The extension really works: a cosine distance between two vectors.
            await using var distance = new NpgsqlCommand("SELECT '[1,0]'::vector <=> '[0,1]'::vector", connection);
            Assert.Equal(1.0, Convert.ToDouble(await distance.ExecuteScalarAsync(TestContext.Current.CancellationToken)), 6);
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(name);
        }
    }

    [Fact]
    public async Task TestDatabase_EachTest_StartsWithoutOthersRows()
    {
        await using var first = await TestDatabase.CreateAsync();
        await using var second = await TestDatabase.CreateAsync();
        await using (var db = first.CreateDbContext())
        {
            db.SystemChecks.Add(new SelfLong.Data.SystemChecks.SystemCheck());
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }
        await using var other = second.CreateDbContext();
        Assert.Equal(0, await other.SystemChecks.CountAsync(TestContext.Current.CancellationToken));
    }
}
