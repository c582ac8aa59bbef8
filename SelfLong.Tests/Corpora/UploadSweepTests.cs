using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SelfLong.Data.Corpora;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
public sealed class UploadSweepTests
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
        var sweeper = new UploadSweeper(database, Options.Create(new CorporaOptions()), NullLogger<UploadSweeper>.Instance);

        var removed = await sweeper.SweepAsync(DateTimeOffset.UtcNow.AddHours(-24), ct);

        Assert.Equal(new[] { ended, orphan }.Order(), removed.Order());
        await using (var db = database.CreateDbContext())
        {
            var left = await db.UploadChunks.Select(c => c.UploadId).Distinct().ToListAsync(ct);
            Assert.Equal(new[] { queued, running, arriving, halfOld }.Order(), left.Order());
        }
    }
}
