using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.LmEval;

namespace SelfLong.Web.Features.Evaluation;

public static partial class EvaluationEndpoints
{
    /// <summary>lm-evaluation-harness results: import one checkpoint's files as a run; the compared runs' scores as CSV (?ids=base,checkpoint,...).</summary>
    private static void MapLmEval(RouteGroupBuilder group)
    {
        group.MapPost("/lm-eval", ImportLmEvalAsync).DisableAntiforgery().RequireRateLimiting(Account.RateLimits.Upload);
        group.MapGet("/lm-eval.csv", LmEvalCsvAsync);
    }

    private static async Task<Results<Created<RunDto>, ValidationProblem>> ImportLmEvalAsync(
        [FromForm] string? name, IFormFileCollection files, LmEvalImport import, CancellationToken ct)
    {
        var streams = new List<(string, Stream)>();
        try
        {
            foreach (var file in files) streams.Add((file.FileName, file.OpenReadStream()));
            var run = await import.ImportAsync(name ?? "", streams, ct);
            return TypedResults.Created($"/api/evaluations/{run.Id}", new RunDto(run.Id, run.Name, run.Kind.ToString(), run.Status.ToString(), run.DoneItems, run.TotalItems, run.Message));
        }
        catch (ArgumentException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["files"] = [e.Message] });
        }
        finally
        {
            foreach (var (_, stream) in streams) await stream.DisposeAsync();
        }
    }

    private static async Task<Results<FileContentHttpResult, NotFound>> LmEvalCsvAsync(string? ids, EvaluationService evaluations, LmEvalImport import, CancellationToken ct)
    {
        var runs = new List<EvaluationRun>();
        var scores = new List<IReadOnlyList<LmEvalScore>>();
        foreach (var id in Ids(ids))
            if (await evaluations.FindAsync(id, ct) is { Kind: EvaluationKind.LmEval } run)
            {
                runs.Add(run);
                scores.Add(await import.ScoresAsync(id, ct));
            }
        return runs.Count == 0
            ? TypedResults.NotFound()
            : TypedResults.File(Encoding.UTF8.GetBytes(LmEvalComparison.Csv(runs, LmEvalComparison.Rows(scores))), "text/csv", "lm-eval-scores.csv");
    }
}
