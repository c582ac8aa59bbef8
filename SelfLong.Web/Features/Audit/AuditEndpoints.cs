using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using SelfLong.Web.Features.Account;

namespace SelfLong.Web.Features.Audit;

public static class AuditEndpoints
{
    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/admin/audit.csv", ExportAsync).RequireAuthorization(Policies.Admin);
        return app;
    }

    /// <summary>The log as CSV, with the page's filters (<c>?actor=&amp;action=&amp;target=&amp;since=</c>).</summary>
    private static async Task<FileContentHttpResult> ExportAsync(AuditQuery audit, string? actor, string? action, string? target, DateTimeOffset? since, CancellationToken ct) =>
        TypedResults.File(Encoding.UTF8.GetBytes(await audit.CsvAsync(new AuditFilter(actor, action, target, since), ct)), "text/csv", "audit.csv");
}
