using System.Text;
using System.Text.Json;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

/// <summary>
/// The hand-made documents of <see cref="HandMadeCorpusRetriever"/> ingested as a real corpus of the
/// suite's app (one per run; synthesis only reads it), for tests that go through the app.
/// </summary>
public static class AppCorpus
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static (long Id, string Name)? corpus;

    public static async Task<(long Id, string Name)> HandMadeAsync(this AppFixture app)
    {
        await Gate.WaitAsync();
        try
        {
            if (corpus is { } made) return made;
            var name = $"hand-made {Guid.NewGuid():N}"[..20];
            var services = app.Services;
            var (created, errors) = await services.GetRequiredService<CorpusService>().CreateAsync(new CorpusSettings { Name = name });
            Assert.Empty(errors);
            var lines = string.Join("\n", new HandMadeCorpusRetriever().Documents.Select(d => JsonSerializer.Serialize(new { title = d.Title, text = d.Text })));
            var bytes = Encoding.UTF8.GetBytes(lines);
            var upload = Guid.NewGuid();
            await services.GetRequiredService<UploadStore>().WriteAsync(upload, new MemoryStream(bytes), long.MaxValue, CancellationToken.None);
            var run = await services.GetRequiredService<IngestionService>().StartAsync(created!.Id,
                [new IngestionInput("handmade.jsonl", null, bytes.Length, UploadId: upload)], enqueue: false);
            await services.GetRequiredService<IngestionJob>().RunAsync(run.Id, CancellationToken.None);
            corpus = (created.Id, name);
            return corpus.Value;
        }
        finally
        {
            Gate.Release();
        }
    }
}
