using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Jobs.Evaluation;

namespace SelfLong.Jobs.Corpora;

/// <summary>
/// A corpus's documents, in the order they were ingested, as the essay haystack of NIAH and
/// RULER. Reading stops after <see cref="MaxCharacters"/>: about 2 M tokens, twice RULER's
/// longest length, is all a haystack can use.
/// </summary>
public sealed class CorpusHaystackSource(IDbContextFactory<SelfLongDbContext> dbFactory) : IHaystackSource
{
    public const int MaxCharacters = 8_000_000;

    public async Task<(string Name, IReadOnlyList<string> Sentences)> LoadAsync(long corpusId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var name = await db.Corpora.Where(c => c.Id == corpusId).Select(c => c.Name).SingleOrDefaultAsync(ct)
            ?? throw new InvalidOperationException($"There is no corpus #{corpusId} to use as a haystack.");
        var sentences = new List<string>();
        var characters = 0;
        await foreach (var text in db.Documents.AsNoTracking().Where(d => d.CorpusId == corpusId).OrderBy(d => d.Id)
                           .Select(d => d.Text).AsAsyncEnumerable().WithCancellation(ct))
        {
            sentences.AddRange(EvaluationText.SplitSentences(text));
            characters += text.Length;
            if (characters >= MaxCharacters) break;
        }
        return ($"{name} (corpus #{corpusId})", sentences);
    }
}
