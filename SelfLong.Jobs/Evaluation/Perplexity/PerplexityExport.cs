using System.Globalization;
using System.Text;
using SelfLong.Data.Evaluation;

namespace SelfLong.Jobs.Evaluation.Perplexity;

/// <summary>A run's stored perplexity figures as the CLI's JSON and as CSV (the two charts' data).</summary>
public static class PerplexityExport
{
    public static IReadOnlyList<PositionBucket> Buckets(PerplexityLengthResult row) =>
        [.. row.BucketEnds.Select((end, i) => new PositionBucket(i == 0 ? 0 : row.BucketEnds[i - 1], end, row.BucketMeanNlls[i]))];

    /// <summary>The longest scored length: where the position buckets show most.</summary>
    public static PerplexityLengthResult? Longest(IReadOnlyList<PerplexityLengthResult> rows) => rows.MaxBy(r => r.ContextLength);

    public static object Json(EvaluationRun run, IReadOnlyList<PerplexityLengthResult> rows) => new
    {
        run = run.Id, status = run.Status.ToString(), checkpoint = run.TargetLocation, training_length = run.TrainingLength,
        lengths = rows.Select(r => new { length = r.ContextLength, windows = r.Windows, tokens = r.Tokens, mean_nll = r.MeanNll, perplexity = Math.Exp(r.MeanNll) }),
        position_buckets = Longest(rows) is { } longest
            ? Buckets(longest).Select(b => new { length = longest.ContextLength, from = b.From, to = b.To, mean_nll = b.MeanNll, perplexity = b.Perplexity })
            : null,
        message = run.Message,
    };

    /// <summary>Perplexity versus length, one row per run and length.</summary>
    public static string LengthsCsv(IReadOnlyList<(EvaluationRun Run, IReadOnlyList<PerplexityLengthResult> Rows)> runs)
    {
        var csv = new StringBuilder("run_id,run_name,training_length,context_length,windows,tokens,mean_nll,perplexity\n");
        foreach (var (run, rows) in runs)
            foreach (var r in rows)
                csv.AppendLine(Invariant($"{run.Id},{Quote(run.Name)},{run.TrainingLength},{r.ContextLength},{r.Windows},{r.Tokens},{r.MeanNll:R},{Math.Exp(r.MeanNll):R}"));
        return csv.ToString();
    }

    /// <summary>Loss by position bucket at each run's longest scored length.</summary>
    public static string PositionsCsv(IReadOnlyList<(EvaluationRun Run, IReadOnlyList<PerplexityLengthResult> Rows)> runs)
    {
        var csv = new StringBuilder("run_id,run_name,context_length,position_from,position_to,mean_nll,perplexity\n");
        foreach (var (run, rows) in runs)
            if (Longest(rows) is { } longest)
                foreach (var b in Buckets(longest))
                    csv.AppendLine(Invariant($"{run.Id},{Quote(run.Name)},{longest.ContextLength},{b.From},{b.To},{b.MeanNll:R},{b.Perplexity:R}"));
        return csv.ToString();
    }

    private static string Quote(string text) => $"\"{text.Replace("\"", "\"\"")}\"";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
