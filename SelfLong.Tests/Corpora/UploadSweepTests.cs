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
        var folder = Directory.CreateTempSubdirectory("selflong-sweep-").FullName;
        try
        {
            var old = DateTime.UtcNow.AddHours(-30);
            string File(string name, DateTime written)
            {
                var path = Path.Combine(folder, name);
                System.IO.File.WriteAllText(path, "text");
                System.IO.File.SetLastWriteTimeUtc(path, written);
                return path;
            }
            var queued = File("queued.upload", old);
            var running = File("running.upload", old);
            var orphan = File("orphan.upload", old);
            var ended = File("ended.upload", old);
            var arriving = File("arriving.upload", DateTime.UtcNow);
            var notAnUpload = File("notes.txt", old);
            await using (var db = database.CreateDbContext())
            {
                var corpus = new Corpus { Name = "sweep" };
                db.Corpora.Add(corpus);
                await db.SaveChangesAsync(ct);
                IngestionRun Run(RunStatus status, string path) => new()
                {
                    CorpusId = corpus.Id, Status = status, Files = 1,
                    FileList = [new IngestionFile { FileName = Path.GetFileName(path), StoredPath = path, DeleteWhenDone = true }],
                };
                db.IngestionRuns.AddRange(Run(RunStatus.Queued, queued), Run(RunStatus.Running, running), Run(RunStatus.Failed, ended));
                await db.SaveChangesAsync(ct);
            }
            var sweeper = new UploadSweeper(database, Options.Create(new CorporaOptions { UploadDirectory = folder }), NullLogger<UploadSweeper>.Instance);

            var removed = await sweeper.SweepAsync(DateTime.UtcNow.AddHours(-24), ct);

            Assert.Equal([ended, orphan], removed.Order());
            Assert.False(System.IO.File.Exists(orphan));
            Assert.False(System.IO.File.Exists(ended));
            Assert.All([queued, running, arriving, notAnUpload], path => Assert.True(System.IO.File.Exists(path), path));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
