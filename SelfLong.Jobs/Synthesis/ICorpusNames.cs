namespace SelfLong.Jobs.Synthesis;

/// <summary>Corpus names for pickers and the command line; the corpora feature provides the real one.</summary>
public interface ICorpusNames
{
    Task<IReadOnlyList<(long Id, string Name)>> ListAsync(CancellationToken ct = default);
}

/// <summary>Until corpora are registered there are no names to offer; ids can still be typed.</summary>
public sealed class NoCorpusNames : ICorpusNames
{
    public Task<IReadOnlyList<(long Id, string Name)>> ListAsync(CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<(long, string)>>([]);
}
