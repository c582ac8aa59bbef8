using SelfLong.Web.Features.Account;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Perplexity;
using SelfLong.Jobs.Evaluation.Ruler;

namespace SelfLong.Web.Features.Evaluation;

/// <summary>Exports (SVG heatmap, CSV of NIAH, RULER and perplexity, JSON, JSONL) and uploads (QA data sets, prediction imports).</summary>
public static partial class EvaluationEndpoints
{
    public sealed record RunDto(long Id, string Name, string Kind, string Status, int DoneItems, int TotalItems, string? Message);

    public static IEndpointRouteBuilder MapEvaluationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/evaluations").WithTags("Evaluation").ReadsForViewersChangesForEditors();
        group.MapGet("/{id:long}", async Task<Results<Ok<RunDto>, NotFound>> (long id, EvaluationService evaluations, CancellationToken ct) =>
            await evaluations.FindAsync(id, ct) is { } r
                ? TypedResults.Ok(new RunDto(r.Id, r.Name, r.Kind.ToString(), r.Status.ToString(), r.DoneItems, r.TotalItems, r.Message))
                : TypedResults.NotFound());

        group.MapGet("/{id:long}/niah.svg", async Task<Results<ContentHttpResult, NotFound>> (long id, EvaluationService evaluations, EvaluationViews views, CancellationToken ct) =>
            await evaluations.FindAsync(id, ct) is { Kind: EvaluationKind.Niah } run
                ? TypedResults.Content(await views.HeatmapAsync(run, ct), "image/svg+xml")
                : TypedResults.NotFound());

        group.MapGet("/{id:long}/niah.json", async Task<Results<FileContentHttpResult, NotFound>> (long id, EvaluationService evaluations, CancellationToken ct) =>
            await evaluations.FindAsync(id, ct) is { Kind: EvaluationKind.Niah } run
                ? TypedResults.File(Encoding.UTF8.GetBytes(NiahExport.Json(run, await evaluations.NiahCellsAsync(id, ct))), "application/json", $"niah-{id}.json")
                : TypedResults.NotFound());

        group.MapGet("/{id:long}/niah.csv", async Task<Results<FileContentHttpResult, NotFound>> (long id, EvaluationService evaluations, CancellationToken ct) =>
        {
            if (await evaluations.FindAsync(id, ct) is not { Kind: EvaluationKind.Niah }) return TypedResults.NotFound();
            var csv = new StringBuilder("context_length,depth_percent,score,prompt_tokens,duration_seconds\n");
            foreach (var c in await evaluations.NiahCellsAsync(id, ct))
                csv.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{c.ContextLength},{c.DepthPercent},{c.Score:0.####},{c.PromptTokens},{c.DurationSeconds:0.###}"));
            return TypedResults.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv", $"niah-{id}.csv");
        });

        group.MapGet("/{id:long}/ruler/predictions.jsonl", async Task<Results<FileContentHttpResult, NotFound>> (long id, EvaluationService evaluations, RulerPredictions predictions, CancellationToken ct) =>
        {
            if (await evaluations.FindAsync(id, ct) is not { Kind: EvaluationKind.Ruler }) return TypedResults.NotFound();
            using var buffer = new MemoryStream();
            await predictions.WriteJsonlAsync(id, buffer, ct);
            return TypedResults.File(buffer.ToArray(), "application/x-ndjson", $"ruler-{id}-predictions.jsonl");
        });

        group.MapGet("/{id:long}/ruler/summary.csv", async Task<Results<FileContentHttpResult, NotFound>> (long id, EvaluationService evaluations, RulerPredictions predictions, CancellationToken ct) =>
            await evaluations.FindAsync(id, ct) is { Kind: EvaluationKind.Ruler }
                ? TypedResults.File(Encoding.UTF8.GetBytes(await predictions.SummaryCsvAsync(id, ct)), "text/csv", $"ruler-{id}-summary.csv")
                : TypedResults.NotFound());

        group.MapGet("/{id:long}/ruler/summary.json", async Task<Results<FileContentHttpResult, NotFound>> (long id, EvaluationService evaluations, RulerPredictions predictions, CancellationToken ct) =>
            await evaluations.FindAsync(id, ct) is { Kind: EvaluationKind.Ruler }
                ? TypedResults.File(Encoding.UTF8.GetBytes(await predictions.SummaryJsonAsync(id, ct)), "application/json", $"ruler-{id}-summary.json")
                : TypedResults.NotFound());

        // Perplexity figures of one run or of the compared runs (?ids=1,2): by length, and by position at the longest length.
        group.MapGet("/perplexity.csv", async Task<Results<FileContentHttpResult, NotFound>> (string? ids, EvaluationService evaluations, CancellationToken ct) =>
            await PerplexityRunsAsync(ids, evaluations, ct) is { Count: > 0 } runs
                ? TypedResults.File(Encoding.UTF8.GetBytes(PerplexityExport.LengthsCsv(runs)), "text/csv", "perplexity-by-length.csv")
                : TypedResults.NotFound());

        group.MapGet("/perplexity-positions.csv", async Task<Results<FileContentHttpResult, NotFound>> (string? ids, EvaluationService evaluations, CancellationToken ct) =>
            await PerplexityRunsAsync(ids, evaluations, ct) is { Count: > 0 } runs
                ? TypedResults.File(Encoding.UTF8.GetBytes(PerplexityExport.PositionsCsv(runs)), "text/csv", "perplexity-by-position.csv")
                : TypedResults.NotFound());

        group.MapPost("/import", async Task<Results<Created<RunDto>, ValidationProblem>> (
            [FromForm] string name, [FromForm] string? task, [FromForm] int? length, IFormFile file, RulerPredictions predictions, CancellationToken ct) =>
        {
            try
            {
                await using var stream = file.OpenReadStream();
                var run = await predictions.ImportAsync(name, stream, string.IsNullOrWhiteSpace(task) ? null : task, length, ct);
                return TypedResults.Created($"/api/evaluations/{run.Id}", new RunDto(run.Id, run.Name, run.Kind.ToString(), run.Status.ToString(), run.DoneItems, run.TotalItems, run.Message));
            }
            catch (ArgumentException e)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [e.Message] });
            }
        }).DisableAntiforgery().RequireRateLimiting(SelfLong.Web.Features.Account.RateLimits.Upload);

        group.MapPost("/qa-datasets/{kind}", async Task<Results<Ok<int>, ValidationProblem>> (string kind, IFormFile file, EvaluationService evaluations, CancellationToken ct) =>
        {
            var parsed = kind switch { QaDatasetKinds.Squad => QaDatasetKind.Squad, QaDatasetKinds.HotpotQa => QaDatasetKind.HotpotQa, _ => (QaDatasetKind?)null };
            if (parsed is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["kind"] = ["Use squad or hotpotqa."] });
            try
            {
                await using var stream = file.OpenReadStream();
                return TypedResults.Ok(await evaluations.UploadQaDatasetAsync(parsed.Value, file.FileName, stream, ct));
            }
            catch (ArgumentException e)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [e.Message] });
            }
        }).DisableAntiforgery().RequireRateLimiting(SelfLong.Web.Features.Account.RateLimits.Upload);
        MapLengthFollowing(group);
        MapLmEval(group);
        return app;
    }

    private static async Task<IReadOnlyList<(EvaluationRun, IReadOnlyList<PerplexityLengthResult>)>> PerplexityRunsAsync(string? ids, EvaluationService evaluations, CancellationToken ct)
    {
        var runs = new List<(EvaluationRun, IReadOnlyList<PerplexityLengthResult>)>();
        foreach (var id in (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => long.TryParse(s, out var n) ? n : 0).Distinct())
            if (await evaluations.FindAsync(id, ct) is { Kind: EvaluationKind.Perplexity } run)
                runs.Add((run, await evaluations.PerplexityLengthsAsync(id, ct)));
        return runs;
    }
}
