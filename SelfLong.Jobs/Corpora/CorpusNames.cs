using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Jobs.Synthesis;

namespace SelfLong.Jobs.Corpora;

/// <summary>Corpus names for synthesis's corpus picker and `--corpus NAME`.</summary>
public sealed class CorpusNames(IDbContextFactory<SelfLongDbContext> dbFactory) : ICorpusNames
{
    public async Task<IReadOnlyList<(long Id, string Name)>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Corpora.AsNoTracking().OrderBy(c => c.Name).Select(c => new { c.Id, c.Name }).ToListAsync(ct);
        return [.. rows.Select(r => (r.Id, r.Name))];
    }
}
