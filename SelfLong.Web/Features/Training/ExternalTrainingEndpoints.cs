using Microsoft.AspNetCore.Http.HttpResults;
using SelfLong.Jobs.Training;
using SelfLong.Web.Features.Account;
using SelfLong.Jobs.Training.External;

namespace SelfLong.Web.Features.Training;

/// <summary>A training run handed to Axolotl (`/api/training/runs/{id}/axolotl/...`).</summary>
public static class ExternalTrainingEndpoints
{
    public sealed record ExportRequest(int? Gpus, int? ContextParallel, bool? Follow);

    public static IEndpointRouteBuilder MapExternalTrainingEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/training/runs/{id:long}/axolotl").WithTags("Training").ReadsForViewersChangesForEditors();
        group.MapPost("/export", ExportAsync).DisableAntiforgery();
        group.MapPost("/follow", FollowAsync).DisableAntiforgery();
        return app;
    }

    /// <summary>Writes the run's stages for Axolotl under the run's folder and, unless told not to, follows its output.</summary>
    private static async Task<Results<Ok<AxolotlExportResult>, NotFound, ValidationProblem>> ExportAsync(
        long id, ExportRequest? request, ExternalTraining external, CancellationToken ct)
    {
        var gpus = request?.Gpus ?? 8;
        try
        {
            return TypedResults.Ok(await external.ExportAsync(id, new AxolotlExportOptions(gpus, request?.ContextParallel ?? gpus), request?.Follow ?? true, ct));
        }
        catch (KeyNotFoundException)
        {
            return TypedResults.NotFound();
        }
        catch (ArgumentException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [e is TrainingSpecException s ? s.Field : "export"] = [e.Message] });
        }
    }

    /// <summary>One pass over the output folders: the loss and checkpoints written so far become the run's.</summary>
    private static async Task<Results<Ok<FollowResult>, NotFound>> FollowAsync(long id, ExternalTraining external, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(await external.FollowAsync(id, ct));
        }
        catch (KeyNotFoundException)
        {
            return TypedResults.NotFound();
        }
    }
}
