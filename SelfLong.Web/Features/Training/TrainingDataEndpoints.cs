using Microsoft.AspNetCore.Http.HttpResults;
using SelfLong.Data.Training;
using SelfLong.Jobs.Training.DataFiles;
using SelfLong.Web.Features.Account;
using SelfLong.Web.Features.Api;

namespace SelfLong.Web.Features.Training;

/// <summary>
/// Uploaded training data files (`/api/training/data-files`): upload one, list them, delete one. A
/// run names them by id (<c>dataFileIds</c> in a new run's request).
/// </summary>
public static class TrainingDataEndpoints
{
    /// <summary>An uploaded file as the API shows it: by id and name, never by its server path.</summary>
    public sealed record DataFileDto(long Id, string FileName, long SizeBytes, int Samples, DateTimeOffset UploadedAt);

    public static DataFileDto ToDto(TrainingDataFile f) => new(f.Id, f.FileName, f.SizeBytes, f.Samples, f.UploadedAt);

    public static IEndpointRouteBuilder MapTrainingDataEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/training/data-files").WithTags("Training").ReadsForViewersChangesForEditors();
        group.MapGet("", async (TrainingDataFiles files, CancellationToken ct) => TypedResults.Ok((await files.ListAsync(ct)).Select(ToDto).ToList()));
        group.MapPost("", UploadAsync).DisableAntiforgery().RequireRateLimiting(RateLimits.Upload)
            .Accepts<IFormFile>("multipart/form-data");
        group.MapDelete("/{id:long}", async Task<Results<NoContent, NotFound, Conflict<string>>> (long id, TrainingDataFiles files, CancellationToken ct) =>
            await files.DeleteAsync(id, ct) switch
            {
                (false, _) => TypedResults.NotFound(),
                (true, { } refusal) => TypedResults.Conflict(refusal),
                _ => TypedResults.NoContent(),
            });
        return app;
    }

    /// <summary>Stores the request's one file (chat or {text} JSONL, .gz allowed), checked line by line; refused (400, field "file") with the reason.</summary>
    private static async Task<Results<Created<DataFileDto>, ValidationProblem>> UploadAsync(HttpRequest request, TrainingDataFiles files, CancellationToken ct)
    {
        TrainingDataFile? stored = null;
        string? error;
        try
        {
            error = await MultipartFiles.ReadAsync(request, files.MaxBytes + (1 << 20), async (name, body) =>
            {
                if (stored is not null) throw new ArgumentException("Send one file per request.");
                stored = await files.AddAsync(name, body, ct);
            }, ct);
            error ??= stored is null ? "The request holds no file." : null;
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }
        catch (Exception e) when (e is BadHttpRequestException or InvalidDataException or IOException)
        {
            error = $"The upload was cut off or malformed ({e.Message}). Try again.";
        }
        if (error is not null)
        {
            // A second file refused after the first was stored: keep the request all or nothing.
            if (stored is not null) await files.DeleteAsync(stored.Id, CancellationToken.None);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [error] });
        }
        return TypedResults.Created($"/api/training/data-files/{stored!.Id}", ToDto(stored));
    }
}
