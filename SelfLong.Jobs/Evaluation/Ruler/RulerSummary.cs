namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>
/// RULER's summary of a model: the plain mean over tasks at each length, the weighted averages over
/// lengths, and the effective length (RULER README and paper, Table 3).
/// </summary>
public sealed record RulerSummary(
    IReadOnlyList<int> Lengths,
    IReadOnlyList<string> Tasks,
    IReadOnlyDictionary<(string Task, int Length), double> Scores,
    IReadOnlyList<double?> AverageByLength,
    double? WeightedAverageIncreasing,
    double? WeightedAverageDecreasing,
    int? EffectiveLength)
{
    /// <summary>Llama-2-7B's RULER average at 4k: a length counts as effective when the score is above it.</summary>
    public const double EffectiveThreshold = 85.6;

    /// <summary>
    /// Builds the summary from task scores (0..100). A length's average is the mean over the tasks
    /// that have a score there; <see cref="Tasks"/> says which tasks that covers.
    /// </summary>
    public static RulerSummary From(IReadOnlyDictionary<(string Task, int Length), double> scores)
    {
        var lengths = scores.Keys.Select(k => k.Length).Distinct().Order().ToList();
        var tasks = RulerTask.All.Select(t => t.Name).Where(t => scores.Keys.Any(k => k.Task == t))
            .Concat(scores.Keys.Select(k => k.Task).Where(t => RulerTask.All.All(a => a.Name != t)).Distinct().Order())
            .ToList();
        var averages = lengths.Select(length =>
        {
            var here = tasks.Where(t => scores.ContainsKey((t, length))).Select(t => scores[(t, length)]).ToList();
            return here.Count == 0 ? (double?)null : here.Average();
        }).ToList();
        return new RulerSummary(lengths, tasks, scores, averages,
            WeightedAverage(averages, increasing: true), WeightedAverage(averages, increasing: false), Effective(lengths, averages));
    }

    /// <summary>Weights 1..n over increasing lengths (wAvg-inc) or n..1 (wAvg-dec).</summary>
    public static double? WeightedAverage(IReadOnlyList<double?> averages, bool increasing)
    {
        if (averages.Count == 0 || averages.Any(a => a is null)) return null;
        var n = averages.Count;
        double sum = 0, weights = 0;
        for (var i = 0; i < n; i++)
        {
            var w = increasing ? i + 1 : n - i;
            sum += w * averages[i]!.Value;
            weights += w;
        }
        return sum / weights;
    }

    /// <summary>The longest length whose average is above the threshold; null when none is.</summary>
    public static int? Effective(IReadOnlyList<int> lengths, IReadOnlyList<double?> averages)
    {
        int? effective = null;
        for (var i = 0; i < lengths.Count; i++)
            if (averages[i] > EffectiveThreshold) effective = lengths[i];
        return effective;
    }

    /// <summary>How many tasks each length's average is over (a partial run may have fewer at some lengths).</summary>
    public IReadOnlyList<int> TasksByLength =>
        Lengths.Select(l => Tasks.Count(t => Scores.ContainsKey((t, l)))).ToList();

    /// <summary>RULER tasks with any score.</summary>
    public int CoveredTasks => RulerTask.All.Count(t => Tasks.Contains(t.Name));

    /// <summary>What every average covers, short enough to travel with it: "11 of 13 tasks".</summary>
    public string Covers => $"{CoveredTasks} of {RulerTask.All.Count} tasks";

    public bool CoversAll => CoveredTasks == RulerTask.All.Count;

    /// <summary>Plain words about coverage, e.g. "covers 11 of 13 tasks (qa_1, qa_2 need uploaded data sets)".</summary>
    public string Coverage
    {
        get
        {
            var missing = RulerTask.All.Select(t => t.Name).Except(Tasks).ToList();
            return missing.Count == 0
                ? $"covers all {RulerTask.All.Count} tasks"
                : $"covers {RulerTask.All.Count - missing.Count} of {RulerTask.All.Count} tasks (missing: {string.Join(", ", missing)})";
        }
    }
}
