namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// A corpus's prose as a haystack (documents in order, split into sentences). The corpora feature
/// registers an implementation; without one, runs use the bundled public-domain prose.
/// </summary>
public interface IHaystackSource
{
    Task<(string Name, IReadOnlyList<string> Sentences)> LoadAsync(long corpusId, CancellationToken ct);
}
