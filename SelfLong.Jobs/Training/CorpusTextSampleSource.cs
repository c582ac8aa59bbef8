using Microsoft.EntityFrameworkCore;
using SelfLong.Data;

namespace SelfLong.Jobs.Training;

/// <summary>
/// A corpus's chunks as plain-text samples (continued pretraining, as the paper mixes ProLong
/// text): every token is learned from. Chunks rather than whole documents, so each stage's window
/// sees varied text instead of the same document openings.
/// </summary>
public sealed class CorpusTextSampleSource(IDbContextFactory<SelfLongDbContext> dbFactory, long corpusId) : ITrainingSampleSource
{
    public string Name => $"corpus #{corpusId} text";

    public async Task<IReadOnlyList<TrainingSample>> LoadAsync(CancellationToken ct)
    {
        var texts = await ChunkTextsAsync(dbFactory, corpusId, ct);
        return [.. texts.Select(TrainingSample.PlainText)];
    }

    private const int DocumentsPerRead = 256;

    /// <summary>
    /// A corpus's chunk texts in document and chunk order, up to <paramref name="maxCharacters"/>
    /// (the chunk that reaches it is the last). Read a few hundred documents at a time: ordering
    /// every chunk of a large corpus in one query sorts all of them before the first arrives, and a
    /// caller that needs only some would wait for the whole corpus.
    /// </summary>
    public static async Task<List<string>> ChunkTextsAsync(IDbContextFactory<SelfLongDbContext> dbFactory, long corpusId, CancellationToken ct,
        long maxCharacters = long.MaxValue)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var documents = await db.Documents.Where(d => d.CorpusId == corpusId).OrderBy(d => d.Id).Select(d => d.Id).ToListAsync(ct);
        var texts = new List<string>();
        long characters = 0;
        foreach (var batch in documents.Chunk(DocumentsPerRead))
        {
            var read = await db.Chunks.AsNoTracking().Where(c => batch.Contains(c.DocumentId))
                .OrderBy(c => c.DocumentId).ThenBy(c => c.Index).Select(c => c.Text).ToListAsync(ct);
            foreach (var text in read)
            {
                texts.Add(text);
                characters += text.Length;
                if (characters >= maxCharacters) return texts;
            }
        }
        return texts;
    }

    /// <summary>The weighted sources a spec's corpora stand for.</summary>
    public static IReadOnlyList<WeightedSource> For(TrainingRunSpec spec, IDbContextFactory<SelfLongDbContext> dbFactory) =>
        [.. spec.CorpusText.Select(c => new WeightedSource(new CorpusTextSampleSource(dbFactory, c.CorpusId), c.Weight))];
}
