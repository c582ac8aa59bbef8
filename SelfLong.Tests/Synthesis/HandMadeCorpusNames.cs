using SelfLong.Jobs.Synthesis;

namespace SelfLong.Tests.Synthesis;

/// <summary>Test-only corpus picker entry for <see cref="HandMadeCorpusRetriever"/>.</summary>
public sealed class HandMadeCorpusNames : ICorpusNames
{
    public const string Name = "hand-made sea corpus";

    public Task<IReadOnlyList<(long Id, string Name)>> ListAsync(CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<(long, string)>>([(HandMadeCorpusRetriever.CorpusId, Name)]);
}
