using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using SelfLong.Data;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Foundation;

/// <summary>The migration that partitions chunks by corpus, on a database that already holds chunks.</summary>
[NeedsDatabase]
public sealed class ChunkPartitionMigrationTests
{
    [Fact]
    public async Task ChunksByCorpus_DatabaseWithChunks_KeepsThemInTheSharedPartitionAndGivesNewCorporaTheirOwn()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = await TestPostgres.CreateEmptyDatabaseAsync();
        try
        {
            var options = new DbContextOptionsBuilder<SelfLongDbContext>();
            DataExtensions.Configure(options, TestPostgres.ConnectionStringFor(name));
            await using var db = new SelfLongDbContext(options.Options);
            await db.GetService<IMigrator>().MigrateAsync("VectorIndexHalf", cancellationToken: ct);
            var before = await InsertCorpusWithChunksAsync(db, "before", ct);
            var oldIds = await db.Database.SqlQueryRaw<long>("""SELECT id AS "Value" FROM chunks ORDER BY id""").ToListAsync(ct);

            await db.Database.MigrateAsync(ct);
            var after = await InsertCorpusWithChunksAsync(db, "after", ct);

            Assert.Equal(oldIds, await IdsInAsync(db, ChunkPartitions.Shared, ct));
            var newIds = await IdsInAsync(db, ChunkPartitions.NameFor(after), ct);
            Assert.Equal(3, newIds.Count);
            Assert.True(newIds.Min() > oldIds.Max(), "ids continue after the ones stored before");
            // The old corpus's rows are reached through chunks, pruned to their partition.
            Assert.Equal(3, await db.Database.SqlQuery<int>($"""SELECT count(*)::int AS "Value" FROM chunks WHERE corpus_id = {before}""").SingleAsync(ct));
            // A chunk index repeated within a document is still refused.
            await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.Database.ExecuteSqlAsync(
                $"INSERT INTO chunks (corpus_id, document_id, index, text, token_count, dimension) SELECT corpus_id, document_id, index, text, 1, 0 FROM chunks WHERE corpus_id = {after} LIMIT 1", ct));
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(name);
        }
    }

    [Fact]
    public async Task ChunksByCorpus_EmptyDatabase_LeavesNoSharedPartition()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        await using var db = database.CreateDbContext();
        var partitions = await db.Database.SqlQueryRaw<string>(
            """SELECT c.relname AS "Value" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'chunks'::regclass""").ToListAsync(ct);
        Assert.Empty(partitions);
        var corpus = await InsertCorpusWithChunksAsync(db, "first", ct);
        Assert.Equal(3, (await IdsInAsync(db, ChunkPartitions.NameFor(corpus), ct)).Count);
    }

    private static async Task<long> InsertCorpusWithChunksAsync(SelfLongDbContext db, string corpus, CancellationToken ct)
    {
        // Not composed (an INSERT cannot be a subquery): the list, then its one row.
        var id = (await db.Database.SqlQuery<long>($"""
            INSERT INTO corpora (name, description, embedder_kind, embedding_dimension, chunk_tokens, chunk_overlap_tokens, text_field, title_field, created_at)
            VALUES ({corpus}, '', 'Lexical', 256, 256, 32, 'text', 'title', now()) RETURNING id AS "Value"
            """).ToListAsync(ct)).Single();
        await db.Database.ExecuteSqlAsync($"""
            WITH d AS (INSERT INTO documents (corpus_id, title, text, content_hash, token_count, source, had_invalid_utf8, created_at)
                       VALUES ({id}, 'd', 'a b c', decode(md5({corpus}), 'hex'), 3, 'test', false, now()) RETURNING id)
            INSERT INTO chunks (corpus_id, document_id, index, text, token_count, dimension)
            SELECT {id}, d.id, i, 'whales and ships ' || i, 3, 0 FROM d, generate_series(0, 2) i
            """, ct);
        return id;
    }

    /// <summary>The ids of the chunks stored in one partition.</summary>
    private static Task<List<long>> IdsInAsync(SelfLongDbContext db, string table, CancellationToken ct) =>
        db.Database.SqlQuery<long>($"""SELECT id AS "Value" FROM chunks WHERE tableoid = to_regclass({table}) ORDER BY id""").ToListAsync(ct);
}
