using SelfLong.Web.Features.Account;
using Microsoft.AspNetCore.Http.HttpResults;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Synthesis;

namespace SelfLong.Web.Features.Synthesis;

/// <summary>REST API for synthesis runs, samples and exports.</summary>
public static class SynthesisEndpoints
{
    /// <summary>A new run; the endpoint by id or by name ("extractive" is the built-in one).</summary>
    public sealed record NewRunRequest(string Name, long CorpusId, int SampleCount, long? EndpointId = null, string? EndpointName = null,
        int Seed = 1, SynthesisSettings? Settings = null, Dictionary<string, string>? Templates = null);

    public sealed record RunDto(long Id, string Name, long CorpusId, long EndpointId, string Generator, bool IsExtractive, string Status,
        int SampleCount, int Completed, int Failed, int Rejected, long InputTokens, long TargetTokens, long LlmCalls, long CacheHits,
        int Seed, string Tokenizer, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt);

    public sealed record SamplePage(IReadOnlyList<SampleRow> Items, int Total);

    public static RunDto ToDto(SynthesisRun r, SynthesisProgress p) =>
        new(r.Id, r.Name, r.CorpusId, r.EndpointId, r.GeneratorLabel, r.IsExtractive, r.Status.ToString(), r.SampleCount,
            p.Completed, p.Failed, p.Rejected, p.InputTokens, p.TargetTokens, r.LlmCalls, r.CacheHits, r.Seed, r.Tokenizer, r.CreatedAt, r.CompletedAt);

    public static IEndpointRouteBuilder MapSynthesisEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/synthesis").WithTags("Synthesis").ReadsForViewersChangesForEditors();

        group.MapGet("/runs", async (SynthesisRunService runs, CancellationToken ct) =>
        {
            var list = await runs.ListAsync(100, ct);
            var progress = await runs.ProgressAsync(list.Select(r => r.Id).ToList(), ct);
            return TypedResults.Ok(list.Select(r => ToDto(r, progress[r.Id])).ToList());
        });

        group.MapPost("/runs", async Task<Results<Created<RunDto>, ValidationProblem>> (
            NewRunRequest request, SynthesisRunService runs, ModelEndpointService endpoints, CancellationToken ct) =>
        {
            var endpoint = request.EndpointId is { } id ? await endpoints.FindAsync(id, ct)
                : await endpoints.FindByNameAsync(request.EndpointName ?? ModelEndpointService.ExtractiveName, ct);
            if (endpoint is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["endpoint"] = ["No such model endpoint."] });
            var templates = request.Templates is null ? null : PromptTemplates.FromJson(System.Text.Json.JsonSerializer.Serialize(request.Templates));
            var (run, errors) = await runs.CreateAsync(new NewSynthesisRun(request.Name, request.CorpusId, endpoint.Id, request.SampleCount,
                request.Seed, request.Settings, templates), ct);
            if (run is null) return TypedResults.ValidationProblem(errors);
            await runs.StartAsync(run.Id, ct);
            var started = (await runs.FindAsync(run.Id, ct))!;
            return TypedResults.Created($"/api/synthesis/runs/{run.Id}", ToDto(started, new SynthesisProgress(0, 0, 0, 0, 0)));
        }).DisableAntiforgery();

        group.MapGet("/runs/{id:long}", async Task<Results<Ok<RunDto>, NotFound>> (long id, SynthesisRunService runs, CancellationToken ct) =>
            await runs.FindAsync(id, ct) is { } run ? TypedResults.Ok(ToDto(run, (await runs.ProgressAsync([id], ct))[id])) : TypedResults.NotFound());

        group.MapPost("/runs/{id:long}/pause", async (long id, SynthesisRunService runs, CancellationToken ct) => Moved(await runs.PauseAsync(id, ct))).DisableAntiforgery();
        group.MapPost("/runs/{id:long}/resume", async (long id, SynthesisRunService runs, CancellationToken ct) => Moved(await runs.StartAsync(id, ct))).DisableAntiforgery();
        group.MapPost("/runs/{id:long}/cancel", async (long id, SynthesisRunService runs, CancellationToken ct) => Moved(await runs.CancelAsync(id, ct))).DisableAntiforgery();

        group.MapGet("/runs/{id:long}/samples", async (long id, SynthesisSampleQuery samples, string? search, SampleKind? kind, bool? rejected,
            int? skip, int? take, CancellationToken ct) =>
        {
            var (rows, total) = await samples.PageAsync(id, new SampleFilter(search, kind, rejected), skip ?? 0, take ?? 50, ct);
            return TypedResults.Ok(new SamplePage(rows, total));
        });
        group.MapGet("/runs/{id:long}/histogram", async (long id, SynthesisSampleQuery samples, CancellationToken ct) =>
            TypedResults.Ok(await samples.InputLengthHistogramAsync(id, ct)));

        group.MapGet("/samples/{id:long}", async Task<Results<Ok<Sample>, NotFound>> (long id, SynthesisSampleQuery samples, CancellationToken ct) =>
            await samples.FindAsync(id, ct) is { } sample ? TypedResults.Ok(sample) : TypedResults.NotFound());
        group.MapPost("/samples/{id:long}/reject", async Task<Results<NoContent, NotFound>> (long id, bool? rejected, SynthesisRunService runs, CancellationToken ct) =>
            await runs.SetRejectedAsync(id, rejected ?? true, ct) ? TypedResults.NoContent() : TypedResults.NotFound()).DisableAntiforgery();

        // Exports name the generator by endpoint name and model; ?locations=true adds its URL or folder.
        group.MapGet("/runs/{id:long}/export.jsonl", (long id, bool? locations, SynthesisExporter exporter, SynthesisRunService runs, CancellationToken ct) =>
            ExportAsync(id, runs, "application/jsonl", "jsonl", (stream, token) => exporter.WriteJsonlAsync(id, stream, token, locations ?? false), ct));
        group.MapGet("/runs/{id:long}/export.parquet", (long id, bool? locations, SynthesisExporter exporter, SynthesisRunService runs, CancellationToken ct) =>
            ExportAsync(id, runs, "application/vnd.apache.parquet", "parquet", (stream, token) => exporter.WriteParquetAsync(id, stream, token, locations ?? false), ct));
        group.MapGet("/runs/{id:long}/card.md", async Task<Results<FileContentHttpResult, NotFound>> (long id, bool? locations, SynthesisExporter exporter, SynthesisRunService runs, CancellationToken ct) =>
            await runs.FindAsync(id, ct) is { } run
                ? TypedResults.File(System.Text.Encoding.UTF8.GetBytes(await exporter.DatasetCardAsync(id, ct, locations ?? false)), "text/markdown; charset=utf-8", $"{FileName(run)}-card.md")
                : TypedResults.NotFound());

        group.MapGet("/templates/default", () => TypedResults.Ok(PromptTemplates.Default.ToDictionary()));
        return app;
    }

    private static Results<NoContent, Conflict<string>> Moved(bool moved) =>
        moved ? TypedResults.NoContent() : TypedResults.Conflict("The run is not in a state that allows this.");

    /// <summary>Exports go through a temporary file: Parquet needs a seekable stream, and the file is deleted on close.</summary>
    private static async Task<Results<FileStreamHttpResult, NotFound>> ExportAsync(long id, SynthesisRunService runs, string contentType, string extension,
        Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        if (await runs.FindAsync(id, ct) is not { } run) return TypedResults.NotFound();
        var stream = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        await write(stream, ct);
        stream.Position = 0;
        return TypedResults.File(stream, contentType, $"{FileName(run)}.{extension}");
    }

    private static string FileName(SynthesisRun run) =>
        $"synthesis-{run.Id}-" + new string(run.Name.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray()).Trim('-');
}
