using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Audit;

namespace SelfLong.Web.Features.Audit;

/// <summary>What the audit page and its export filter on; every field optional, text fields match a part.</summary>
public sealed record AuditFilter(string? Actor = null, string? Action = null, string? Target = null, DateTimeOffset? Since = null);

/// <summary>Reads the audit log for the admin page and its CSV export, newest first.</summary>
public sealed class AuditQuery(IDbContextFactory<SelfLongDbContext> dbFactory)
{
    /// <summary>The most rows one export writes; a wider export is narrowed by filters or time.</summary>
    public const int ExportLimit = 100_000;

    public async Task<(IReadOnlyList<AuditEntry> Items, int Total)> PageAsync(AuditFilter filter, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = Filtered(db, filter);
        var total = await query.CountAsync(ct);
        var items = await query.OrderByDescending(e => e.Id).Skip(page * pageSize).Take(pageSize).AsNoTracking().ToListAsync(ct);
        return (items, total);
    }

    public async Task<string> CsvAsync(AuditFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var csv = new StringBuilder("at,actor,via,action,target_kind,target_id,detail\n");
        await foreach (var e in Filtered(db, filter).OrderByDescending(e => e.Id).Take(ExportLimit).AsNoTracking().AsAsyncEnumerable().WithCancellation(ct))
            csv.AppendJoin(',', [e.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), Cell(e.Actor), e.Via, e.Action, Cell(e.TargetKind), Cell(e.TargetId), Cell(e.Detail)]).Append('\n');
        return csv.ToString();
    }

    private static IQueryable<AuditEntry> Filtered(SelfLongDbContext db, AuditFilter filter)
    {
        IQueryable<AuditEntry> query = db.AuditLog;
        if (!string.IsNullOrWhiteSpace(filter.Actor)) query = query.Where(e => EF.Functions.ILike(e.Actor, $"%{Escape(filter.Actor.Trim())}%"));
        if (!string.IsNullOrWhiteSpace(filter.Action)) query = query.Where(e => e.Action == filter.Action.Trim());
        if (!string.IsNullOrWhiteSpace(filter.Target))
        {
            var like = $"%{Escape(filter.Target.Trim())}%";
            query = query.Where(e => EF.Functions.ILike(e.TargetKind, like) || EF.Functions.ILike(e.TargetId ?? "", like) || EF.Functions.ILike(e.Detail ?? "", like));
        }
        if (filter.Since is { } since) query = query.Where(e => e.At >= since);
        return query;
    }

    private static string Escape(string text) => text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");

    /// <summary>RFC 4180 quoting; a leading =, +, - or @ is prefixed so a spreadsheet shows it as text, not a formula.</summary>
    private static string Cell(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        if (text[0] is '=' or '+' or '-' or '@') text = "'" + text;
        return text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
    }
}
