using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using SelfLong.Data;
using SelfLong.Jobs.Corpora.Storage;
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
    public async Task PerCorpusTextIndex_DatabaseWithCorpora_GivesEachItsOwnFullTextIndexAndDropsTheSharedOne()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = await TestPostgres.CreateEmptyDatabaseAsync();
        try
        {
            var options = new DbContextOptionsBuilder<SelfLongDbContext>();
            DataExtensions.Configure(options, TestPostgres.ConnectionStringFor(name));
            await using var db = new SelfLongDbContext(options.Options);
            var migrator = db.GetService<IMigrator>();
            await migrator.MigrateAsync("TunedHnswEfSearch", cancellationToken: ct);
            var corpora = new List<long>();
            foreach (var corpus in new[] { "first", "second" })
            {
                // Not composed (an INSERT cannot be a subquery): the list, then its one row.
                corpora.Add((await db.Database.SqlQuery<long>($"""
                    INSERT INTO corpora (name, description, embedder_kind, embedding_dimension, chunk_tokens, chunk_overlap_tokens, text_field, title_field, created_at)
                    VALUES ({corpus}, '', 'Lexical', 256, 256, 32, 'text', 'title', now()) RETURNING id AS "Value"
                    """).ToListAsync(ct)).Single());
            }
            Assert.Equal(["IX_chunks_search_vector"], await GinIndexesAsync(db, ct));

            await db.Database.MigrateAsync(ct);

            Assert.Equal(corpora.Select(ChunkTextIndex.NameFor).Order(), (await GinIndexesAsync(db, ct)).Order());
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(name);
        }
    }

    private static Task<List<string>> GinIndexesAsync(SelfLongDbContext db, CancellationToken ct) =>
        db.Database.SqlQueryRaw<string>("""SELECT indexname AS "Value" FROM pg_indexes WHERE tablename LIKE 'chunks%' AND indexdef LIKE '%USING gin%'""").ToListAsync(ct);

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
