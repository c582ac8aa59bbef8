using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Training.Drills;

namespace SelfLong.Jobs.Training;

/// <summary>
/// A corpus's chunks as plain-text samples (continued pretraining, as the paper mixes ProLong
/// text): every token is learned from. Chunks rather than whole documents, so each stage's window
/// sees varied text instead of the same document openings.
/// </summary>
public sealed class CorpusTextSampleSource(IDbContextFactory<SelfLongDbContext> dbFactory, long corpusId) : ITrainingSampleSource
{
    private const int DocumentsPerRead = 256;

    public string Name => $"corpus #{corpusId} text";

    /// <summary>
    /// The chunks' ids in order, each chunk's text read when the sample stream reaches it: a
    /// million chunks of 256 tokens are 1.22 G characters, about 2.4 GB held as strings, where
    /// their ids take 8 MB.
    /// </summary>
    public async Task<IReadOnlyList<TrainingSample>> LoadAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = await InOrderAsync(db, corpusId, c => c.Id, ct).ToListAsync(ct);
        return new LazySamples(ids.Count, i => TrainingSample.PlainText(Text(ids[i])));
    }

    /// <summary>One chunk's text, read as the trainer takes it (the stream reads samples one at a time, on the training thread).</summary>
    private string Text(long chunkId)
    {
        using var db = dbFactory.CreateDbContext();
        return db.Chunks.AsNoTracking().Where(c => c.CorpusId == corpusId && c.Id == chunkId).Select(c => c.Text).SingleOrDefault()
            ?? throw new InvalidOperationException($"Chunk #{chunkId} of corpus #{corpusId} is gone: the corpus changed while the run trained on it.");
    }

    /// <summary>
    /// A corpus's chunk texts in document and chunk order, up to <paramref name="maxCharacters"/>
    /// (the chunk that reaches it is the last).
    /// </summary>
    public static async Task<List<string>> ChunkTextsAsync(IDbContextFactory<SelfLongDbContext> dbFactory, long corpusId, CancellationToken ct,
        long maxCharacters = long.MaxValue)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var texts = new List<string>();
        long characters = 0;
        await foreach (var text in InOrderAsync(db, corpusId, c => c.Text, ct))
        {
            texts.Add(text);
            characters += text.Length;
            if (characters >= maxCharacters) break;
        }
        return texts;
    }

    /// <summary>
    /// Chunks in document and chunk order, a few hundred documents at a time: ordering every chunk
    /// of a large corpus in one query sorts all of them before the first arrives (7.8 s at a
    /// million chunks), and a caller that needs only some would wait for the whole corpus.
    /// </summary>
    private static async IAsyncEnumerable<T> InOrderAsync<T>(SelfLongDbContext db, long corpusId, Expression<Func<Chunk, T>> select,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var documents = await db.Documents.Where(d => d.CorpusId == corpusId).OrderBy(d => d.Id).Select(d => d.Id).ToListAsync(ct);
        foreach (var batch in documents.Chunk(DocumentsPerRead))
        {
            var read = await db.Chunks.AsNoTracking().Where(c => c.CorpusId == corpusId && batch.Contains(c.DocumentId))
                .OrderBy(c => c.DocumentId).ThenBy(c => c.Index).Select(select).ToListAsync(ct);
            foreach (var item in read) yield return item;
        }
    }

    /// <summary>The weighted sources a spec's corpora stand for.</summary>
    public static IReadOnlyList<WeightedSource> For(TrainingRunSpec spec, IDbContextFactory<SelfLongDbContext> dbFactory) =>
        [.. spec.CorpusText.Select(c => new WeightedSource(new CorpusTextSampleSource(dbFactory, c.CorpusId), c.Weight))];
}
