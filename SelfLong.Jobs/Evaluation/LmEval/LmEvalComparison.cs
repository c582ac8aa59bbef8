using System.Globalization;
using System.Text;
using SelfLong.Data.Evaluation;

namespace SelfLong.Jobs.Evaluation.LmEval;

/// <summary>Whether a checkpoint's score moved the good way: by the file's higher_is_better, or up when it does not say.</summary>
public enum LmEvalChange { Same, Better, Worse }

/// <summary>One compared run's score in a row: its value and the difference from the baseline's (null where either lacks it).</summary>
public sealed record LmEvalCell(double? Value, double? Stderr, double? Delta, LmEvalChange Change);

/// <summary>One task, metric and filter across the runs: the baseline's score first.</summary>
public sealed record LmEvalRow(string Task, string Metric, string Filter, bool? HigherIsBetter, IReadOnlyList<LmEvalCell> Cells);

/// <summary>
/// lm-eval scores side by side, the first run (the base model) as the baseline, as the paper's Table 4
/// puts a checkpoint's short-task scores beside its base model's.
/// </summary>
public static class LmEvalComparison
{
    public static IReadOnlyList<LmEvalRow> Rows(IReadOnlyList<IReadOnlyList<LmEvalScore>> runs)
    {
        var byRun = runs.Select(scores => scores.ToDictionary(s => (s.Task, s.Metric, s.Filter))).ToList();
        var keys = byRun.SelectMany(d => d.Keys).Distinct().OrderBy(k => k.Task, StringComparer.Ordinal).ThenBy(k => k.Metric).ThenBy(k => k.Filter);
        return [.. keys.Select(key =>
        {
            var higher = byRun.Select(d => d.GetValueOrDefault(key)?.HigherIsBetter).FirstOrDefault(h => h is not null);
            var baseline = byRun.Count > 0 ? byRun[0].GetValueOrDefault(key)?.Value : null;
            var cells = byRun.Select((d, i) =>
            {
                var score = d.GetValueOrDefault(key);
                double? delta = i == 0 || score is null || baseline is null ? null : score.Value - baseline.Value;
                var change = delta switch
                {
                    null or 0 => LmEvalChange.Same,
                    > 0 => higher == false ? LmEvalChange.Worse : LmEvalChange.Better,
                    _ => higher == false ? LmEvalChange.Better : LmEvalChange.Worse,
                };
                return new LmEvalCell(score?.Value, score?.Stderr, delta, change);
            }).ToList();
            return new LmEvalRow(key.Task, key.Metric, key.Filter, higher, cells);
        })];
    }

    /// <summary>Long format: one line per run and score, with its difference from the first run.</summary>
    public static string Csv(IReadOnlyList<EvaluationRun> runs, IReadOnlyList<LmEvalRow> rows)
    {
        var csv = new StringBuilder("run_id,run_name,task,metric,filter,value,stderr,higher_is_better,delta_vs_first,change\n");
        foreach (var row in rows)
            for (var i = 0; i < runs.Count; i++)
                if (row.Cells[i].Value is { } value)
                    csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                        $"{runs[i].Id},{Quote(runs[i].Name)},{Quote(row.Task)},{Quote(row.Metric)},{Quote(row.Filter)},{value:R},{row.Cells[i].Stderr:R},{row.HigherIsBetter?.ToString().ToLowerInvariant()},{row.Cells[i].Delta:R},{row.Cells[i].Change.ToString().ToLowerInvariant()}"));
        return csv.ToString();
    }

    private static string Quote(string text) => $"\"{text.Replace("\"", "\"\"")}\"";
}
