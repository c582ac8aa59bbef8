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

    /// <summary>A corpus's chunk texts in document and chunk order.</summary>
    public static async Task<List<string>> ChunkTextsAsync(IDbContextFactory<SelfLongDbContext> dbFactory, long corpusId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Chunks.AsNoTracking().Where(c => c.CorpusId == corpusId)
            .OrderBy(c => c.DocumentId).ThenBy(c => c.Index).Select(c => c.Text).ToListAsync(ct);
    }

    /// <summary>The weighted sources a spec's corpora stand for.</summary>
    public static IReadOnlyList<WeightedSource> For(TrainingRunSpec spec, IDbContextFactory<SelfLongDbContext> dbFactory) =>
        [.. spec.CorpusText.Select(c => new WeightedSource(new CorpusTextSampleSource(dbFactory, c.CorpusId), c.Weight))];
}
