using SelfLong.Web.Features.Account;
using Microsoft.AspNetCore.Http.HttpResults;
using SelfLong.Data.SystemChecks;
using SelfLong.Jobs.SystemChecks;

namespace SelfLong.Web.Features.SystemChecks;

public static class SystemCheckEndpoints
{
    public sealed record SystemCheckDto(long Id, string Status, string? HangfireJobId, string? Device,
        double? MaxAbsError, string? Message, DateTimeOffset RequestedAt, DateTimeOffset? CompletedAt);

    public static IEndpointRouteBuilder MapSystemCheckEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/system/checks").WithTags("System").ReadsForViewersChangesForEditors();
        group.MapPost("/", async (SystemCheckService checks, CancellationToken ct) =>
        {
            var check = await checks.EnqueueAsync(ct);
            return TypedResults.Created($"/api/system/checks/{check.Id}", ToDto(check));
        }).DisableAntiforgery();
        group.MapGet("/{id:long}", async Task<Results<Ok<SystemCheckDto>, NotFound>> (long id, SystemCheckService checks, CancellationToken ct) =>
            await checks.FindAsync(id, ct) is { } check ? TypedResults.Ok(ToDto(check)) : TypedResults.NotFound());
        return app;
    }

    private static SystemCheckDto ToDto(SystemCheck c) =>
        new(c.Id, c.Status.ToString(), c.HangfireJobId, c.Device, c.MaxAbsError, c.Message, c.RequestedAt, c.CompletedAt);
}
