using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Synthesis;

namespace SelfLong.Jobs.Synthesis;

/// <summary>A sample as training sees it. IsLong: loss over input and output (PAPER.md, "Training").</summary>
/// Instruction: the part of Input that is not documents.
public sealed record SynthesisTrainingSample(long SampleId, int Index, string Input, string Target, bool IsLong, int InputTokens, int TargetTokens, string Instruction);

/// <summary>The accepted samples of a run (completed, not rejected), in index order, streamed.</summary>
public sealed class SynthesisSampleReader(IDbContextFactory<SelfLongDbContext> dbFactory)
{
    /// <summary>Pages of this many rows keep memory flat for runs of long samples.</summary>
    public const int PageSize = 64;

    public async IAsyncEnumerable<SynthesisTrainingSample> ReadAcceptedAsync(long runId, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var after = -1;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var page = await db.SynthesisSamples.AsNoTracking()
                .Where(s => s.RunId == runId && s.Status == SampleStatus.Completed && !s.Rejected && s.Index > after)
                .OrderBy(s => s.Index).Take(PageSize)
                .Select(s => new SynthesisTrainingSample(s.Id, s.Index, s.Input, s.Target, s.Kind == SampleKind.LongInput, s.InputTokens, s.TargetTokens, s.Instruction))
                .ToListAsync(ct);
            foreach (var sample in page) yield return sample;
            if (page.Count < PageSize) yield break;
            after = page[^1].Index;
        }
    }
}
