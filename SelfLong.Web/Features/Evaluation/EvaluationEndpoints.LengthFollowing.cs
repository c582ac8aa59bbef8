using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.LengthFollowing;

namespace SelfLong.Web.Features.Evaluation;

public static partial class EvaluationEndpoints
{
    /// <summary>Length following: every output of one run or of the compared runs (?ids=1,2) as CSV, and one run's summary as JSON.</summary>
    private static void MapLengthFollowing(RouteGroupBuilder group)
    {
        group.MapGet("/length-following.csv", LengthFollowingCsvAsync);
        group.MapGet("/{id:long}/length-following.json", LengthFollowingJsonAsync);
    }

    private static async Task<Results<FileContentHttpResult, NotFound>> LengthFollowingCsvAsync(string? ids, EvaluationService evaluations, CancellationToken ct)
    {
        var runs = new List<(EvaluationRun, IReadOnlyList<LengthFollowingOutput>)>();
        foreach (var id in Ids(ids))
            if (await evaluations.FindAsync(id, ct) is { Kind: EvaluationKind.LengthFollowing } run)
                runs.Add((run, await evaluations.LengthFollowingOutputsAsync(id, ct)));
        return runs.Count == 0
            ? TypedResults.NotFound()
            : TypedResults.File(Encoding.UTF8.GetBytes(LengthFollowingExport.Csv(runs)), "text/csv", "length-following.csv");
    }

    private static async Task<Results<FileContentHttpResult, NotFound>> LengthFollowingJsonAsync(long id, EvaluationService evaluations, CancellationToken ct) =>
        await evaluations.FindAsync(id, ct) is { Kind: EvaluationKind.LengthFollowing } run
            ? TypedResults.File(JsonSerializer.SerializeToUtf8Bytes(LengthFollowingExport.Json(run, await evaluations.LengthFollowingOutputsAsync(id, ct))),
                "application/json", $"length-following-{id}.json")
            : TypedResults.NotFound();

    /// <summary>Run ids from a comma-separated query value, in order, each once; what is not a number is skipped.</summary>
    private static IEnumerable<long> Ids(string? ids) =>
        (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => long.TryParse(s, out var n) ? n : 0).Where(n => n > 0).Distinct();
}
