using System.Globalization;
using System.Text;
using SelfLong.Data.Evaluation;

namespace SelfLong.Jobs.Evaluation.LengthFollowing;

/// <summary>A length-following run as the CLI's JSON, and the outputs of one or more runs as CSV (the chart's data).</summary>
public static class LengthFollowingExport
{
    public static object Json(EvaluationRun run, IReadOnlyList<LengthFollowingOutput> outputs)
    {
        var summary = LengthFollowingMetrics.Summarize(outputs);
        return new
        {
            run = run.Id, status = run.Status.ToString(), model = run.Model, outputs = summary.Outputs,
            mean_absolute_relative_error = summary.MeanAbsoluteRelativeError,
            fit = summary.FitScale is null ? null : new { scale = summary.FitScale, exponent = summary.FitExponent },
            by_length = summary.Points.Select(p => new
            {
                required_words = p.RequiredWords, outputs = p.Outputs, mean_words = p.MeanWords, mean_absolute_relative_error = p.MeanAbsoluteRelativeError,
            }),
            cut_at_budget = outputs.Count(o => o.OutputTokens >= o.MaxNewTokens),
            sized_with = run.SizedWith, prompt_layout = run.PromptLayout, message = run.Message,
        };
    }

    /// <summary>One row per output: required and actual words, the relative error, the output's tokens and budget.</summary>
    public static string Csv(IReadOnlyList<(EvaluationRun Run, IReadOnlyList<LengthFollowingOutput> Outputs)> runs)
    {
        var csv = new StringBuilder("run_id,run_name,required_words,prompt_index,output_words,relative_error,output_tokens,max_new_tokens,duration_seconds\n");
        foreach (var (run, outputs) in runs)
            foreach (var o in outputs)
                csv.AppendLine(Invariant(
                    $"{run.Id},{Quote(run.Name)},{o.RequiredWords},{o.PromptIndex},{o.OutputWords},{LengthFollowingMetrics.RelativeError(o.OutputWords, o.RequiredWords):R},{o.OutputTokens},{o.MaxNewTokens},{o.DurationSeconds:0.###}"));
        return csv.ToString();
    }

    private static string Quote(string text) => $"\"{text.Replace("\"", "\"\"")}\"";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
