using SelfLong.Data.Demo;
using SelfLong.Jobs.Evaluation;

namespace SelfLong.Jobs.Demo;

/// <summary>
/// What `./selflong demo` prints when it ends: the demo's runs and, per stage, its NIAH mean and
/// RULER averages by length, read back from the stored results the dashboard shows.
/// </summary>
public static class DemoReport
{
    public static async Task<object> BuildAsync(EvaluationService evaluations, DemoRun demo, TimeSpan took, CancellationToken ct)
    {
        var niah = new List<object>();
        foreach (var id in DemoService.Ids(demo.NiahRunIds))
        {
            var run = await evaluations.FindAsync(id, ct);
            var cells = await evaluations.NiahCellsAsync(id, ct);
            niah.Add(new
            {
                run_id = id, name = run?.Name, status = run?.Status.ToString(), cells = cells.Count,
                mean_score = cells.Count == 0 ? (double?)null : Math.Round(cells.Average(c => c.Score), 3),
            });
        }
        var ruler = new List<object>();
        foreach (var id in DemoService.Ids(demo.RulerRunIds))
        {
            var run = await evaluations.FindAsync(id, ct);
            var summary = await evaluations.RulerSummaryAsync(id, ct);
            ruler.Add(new
            {
                run_id = id, name = run?.Name, status = run?.Status.ToString(),
                // The average covers these tasks only (those whose templates fit the stage's length).
                tasks = summary.Tasks,
                average_by_length = summary.Lengths.Zip(summary.AverageByLength)
                    .ToDictionary(p => p.First.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.Second is { } a ? Math.Round(a, 1) : (double?)null),
            });
        }
        return new
        {
            demo_id = demo.Id, status = demo.Status.ToString(), message = demo.Message, seconds = Math.Round(took.TotalSeconds, 1),
            corpus_id = demo.CorpusId, synthesis_run_id = demo.SynthesisRunId, training_run_id = demo.TrainingRunId,
            compare_url = DemoService.CompareUrl(demo), niah, ruler,
        };
    }
}
