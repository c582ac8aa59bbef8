using Microsoft.AspNetCore.Http.HttpResults;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Endpoints;
using SelfLong.Web.Features.Account;

namespace SelfLong.Web.Features.Endpoints;

/// <summary>REST API for model endpoints. The API key is accepted, never returned.</summary>
public static class ModelEndpointEndpoints
{
    public sealed record ModelEndpointDto(long Id, string Name, string Kind, string? BaseUrl, string? Model, bool HasApiKey,
        int ContextWindow, int MaxConcurrency, int TimeoutSeconds, string? CheckpointPath, string? Device, int? MaxNewTokens, double? Temperature);

    public static ModelEndpointDto ToDto(ModelEndpoint e) =>
        new(e.Id, e.Name, e.Kind.ToString(), e.BaseUrl, e.Model, e.ProtectedApiKey is not null, e.ContextWindow, e.MaxConcurrency, e.TimeoutSeconds,
            e.CheckpointPath, e.Device, e.MaxNewTokens, e.Temperature);

    public static IEndpointRouteBuilder MapModelEndpointEndpoints(this IEndpointRouteBuilder app)
    {
        // Viewers see the endpoints (never their keys); only admins add or call them.
        var group = app.MapGroup("/api/endpoints").WithTags("Model endpoints").ReadsForViewersChangesForEditors();
        group.MapGet("/", async (ModelEndpointService endpoints, CancellationToken ct) =>
        {
            await endpoints.EnsureExtractiveAsync(ct);
            return TypedResults.Ok((await endpoints.ListAsync(ct)).Select(ToDto).ToList());
        });
        group.MapPost("/", async Task<Results<Created<ModelEndpointDto>, ValidationProblem>> (ModelEndpointInput input, ModelEndpointService endpoints, CancellationToken ct) =>
        {
            var (endpoint, errors) = await endpoints.CreateAsync(input, ct);
            return endpoint is null ? TypedResults.ValidationProblem(errors) : TypedResults.Created($"/api/endpoints/{endpoint.Id}", ToDto(endpoint));
        }).DisableAntiforgery().RequireAuthorization(Policies.Admin);
        group.MapPost("/{id:long}/test", async Task<Results<Ok<EndpointTestResult>, NotFound>> (long id, ModelEndpointService endpoints, CancellationToken ct) =>
            await endpoints.FindAsync(id, ct) is { } endpoint ? TypedResults.Ok(await endpoints.TestAsync(endpoint, ct)) : TypedResults.NotFound())
            .DisableAntiforgery().RequireAuthorization(Policies.Admin);
        return app;
    }
}
