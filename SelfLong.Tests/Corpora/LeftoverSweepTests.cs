using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SelfLong.Data.Corpora;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
public sealed class LeftoverSweepTests
{
    [Fact]
    public async Task SweepAsync_UploadsOlderThanTheGraceWithNoWaitingRun_AreRemovedAndTheRestKept()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        var old = DateTimeOffset.UtcNow.AddHours(-30);
        var (queued, running, orphan, ended, arriving) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        // Two pieces, the newer one recent: an upload's age counts from its newest piece.
        var (halfOld, halfOldNewest) = (Guid.NewGuid(), DateTimeOffset.UtcNow);
        await using (var db = database.CreateDbContext())
        {
            UploadChunk Piece(Guid id, DateTimeOffset written, int seq = 0) => new() { UploadId = id, Seq = seq, Data = [1, 2, 3], WrittenAt = written };
            db.UploadChunks.AddRange(Piece(queued, old), Piece(running, old), Piece(orphan, old), Piece(orphan, old, 1), Piece(ended, old),
                Piece(arriving, DateTimeOffset.UtcNow), Piece(halfOld, old), Piece(halfOld, halfOldNewest, 1));
            var corpus = new Corpus { Name = "sweep" };
            db.Corpora.Add(corpus);
            await db.SaveChangesAsync(ct);
            IngestionRun Run(RunStatus status, Guid upload) => new()
            {
                CorpusId = corpus.Id, Status = status, Files = 1,
                FileList = [new IngestionFile { FileName = "f.txt", UploadId = upload }],
            };
            db.IngestionRuns.AddRange(Run(RunStatus.Queued, queued), Run(RunStatus.Running, running), Run(RunStatus.Failed, ended));
            await db.SaveChangesAsync(ct);
        }
        var sweeper = new LeftoverSweeper(database, database.DataSource, Options.Create(new CorporaOptions()), NullLogger<LeftoverSweeper>.Instance);

        var removed = await sweeper.SweepAsync(DateTimeOffset.UtcNow.AddHours(-24), ct);

        Assert.Equal(new[] { ended, orphan }.Order(), removed.Order());
        await using (var db = database.CreateDbContext())
        {
            var left = await db.UploadChunks.Select(c => c.UploadId).Distinct().ToListAsync(ct);
            Assert.Equal(new[] { queued, running, arriving, halfOld }.Order(), left.Order());
        }
    }

    [Fact]
    public async Task SweepIndexesAsync_DropsTheIndexesOfDeletedCorporaOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        long live;
        await using (var db = database.CreateDbContext())
        {
            var corpus = new Corpus { Name = "kept" };
            db.Corpora.Add(corpus);
            await db.SaveChangesAsync(ct);
            live = corpus.Id;
        }
        var gone = live + 1000;
        string[] orphans = [ChunkVectorIndex.NameFor(gone), ChunkTextIndex.NameFor(gone)];
        string[] kept = [ChunkVectorIndex.NameFor(live), ChunkTextIndex.NameFor(live), "ix_chunks_search_corpus_x"];
        await using (var connection = await database.DataSource.OpenConnectionAsync(ct))
        {
            foreach (var (name, corpus) in new[] { (orphans[0], gone), (kept[0], live) })
                await Execute(connection, $"CREATE INDEX {name} ON {ChunkPartitions.NameFor(live)} USING hnsw ((embedding::vector(4)) vector_cosine_ops) WHERE corpus_id = {corpus}");
            foreach (var (name, corpus) in new[] { (orphans[1], gone), (kept[1], live), (kept[2], gone) })
                await Execute(connection, $"CREATE INDEX {name} ON {ChunkPartitions.NameFor(live)} USING gin (search_vector) WHERE corpus_id = {corpus}");
        }
        var sweeper = new LeftoverSweeper(database, database.DataSource, Options.Create(new CorporaOptions()), NullLogger<LeftoverSweeper>.Instance);

        var dropped = await sweeper.SweepIndexesAsync(ct);

        Assert.Equal(orphans.Order(), dropped.Order());
        await using (var db = database.CreateDbContext())
        {
            var left = await db.Database.SqlQueryRaw<string>("""SELECT indexname AS "Value" FROM pg_indexes WHERE tablename LIKE 'chunks%' AND indexname LIKE 'ix_chunks_%corpus_%'""").ToListAsync(ct);
            Assert.Equal(kept.Order(), left.Order());
        }
        Assert.Empty(await sweeper.SweepIndexesAsync(ct));
    }

    private static async Task Execute(Npgsql.NpgsqlConnection connection, string sql)
    {
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
