using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Synthesis;

namespace SelfLong.Jobs.Synthesis;

/// <summary>A sample as lists show it: no long texts; a failed one's attempts so far and when it is tried again.</summary>
public sealed record SampleRow(long Id, int Index, SampleKind Kind, SampleStatus Status, string? InstructionType, string Instruction,
    int InputTokens, int TargetTokens, int TargetLength, int LlmCalls, int CacheHits, bool Rejected, string? Error,
    int Attempts, DateTimeOffset? RetryAt);

public sealed record SampleFilter(string? Search = null, SampleKind? Kind = null, bool? Rejected = null, SampleStatus? Status = null);

/// <summary>One bar of the input-length histogram: [From, To) tokens.</summary>
public sealed record LengthBin(int From, int To, int Count);

/// <summary>Server-side paging, filtering and statistics over a run's samples, for the UI and the API.</summary>
public sealed class SynthesisSampleQuery(IDbContextFactory<SelfLongDbContext> dbFactory)
{
    public async Task<(IReadOnlyList<SampleRow> Rows, int Total)> PageAsync(long runId, SampleFilter filter, int skip, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.SynthesisSamples.AsNoTracking().Where(s => s.RunId == runId);
        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var pattern = $"%{EscapeLike(filter.Search.Trim())}%";
            query = query.Where(s => EF.Functions.ILike(s.Instruction, pattern, "\\") || EF.Functions.ILike(s.Response, pattern, "\\"));
        }
        if (filter.Kind is { } kind) query = query.Where(s => s.Kind == kind);
        if (filter.Rejected is { } rejected) query = query.Where(s => s.Rejected == rejected);
        if (filter.Status is { } status) query = query.Where(s => s.Status == status);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderBy(s => s.Index).Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, 500))
            .Select(s => new SampleRow(s.Id, s.Index, s.Kind, s.Status, s.InstructionType, s.Instruction, s.InputTokens, s.TargetTokens,
                s.TargetLength, s.LlmCalls, s.CacheHits, s.Rejected, s.Error, s.Attempts, s.RetryAt))
            .ToListAsync(ct);
        return (rows, total);
    }

    public async Task<Sample?> FindAsync(long sampleId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SynthesisSamples.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sampleId, ct);
    }

    /// <summary>Input lengths of completed samples in power-of-two bins (lengths span 8k to 1M).</summary>
    public async Task<IReadOnlyList<LengthBin>> InputLengthHistogramAsync(long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var lengths = await db.SynthesisSamples.Where(s => s.RunId == runId && s.Status == SampleStatus.Completed)
            .Select(s => s.InputTokens).ToListAsync(ct);
        return Histogram(lengths);
    }

    public static IReadOnlyList<LengthBin> Histogram(IReadOnlyCollection<int> lengths)
    {
        if (lengths.Count == 0) return [];
        static int Bin(int tokens) => tokens <= 1 ? 0 : (int)Math.Floor(Math.Log2(tokens));
        var (lo, hi) = (Bin(lengths.Min()), Bin(lengths.Max()));
        return Enumerable.Range(lo, hi - lo + 1)
            .Select(b => new LengthBin(1 << b, 1 << (b + 1), lengths.Count(l => Bin(l) == b)))
            .ToList();
    }

    private static string EscapeLike(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
