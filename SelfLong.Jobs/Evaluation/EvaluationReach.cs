using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Evaluation.Ruler;

namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// Refuses a grid with nothing within the target's reach when the run is created: the runner skips
/// every length past the target's maximum, so such a run would "succeed" with 0 of 0 items and look
/// like a result. The form, the API and the command line all create runs through
/// <see cref="EvaluationService"/>, so this one check gives each of them the same reason.
/// </summary>
internal static partial class EvaluationReach
{
    public static void Niah(NiahSettings settings, EvaluationTargetRequest target)
    {
        if (settings.Depths.Count == 0) throw new ArgumentException("Choose at least one needle depth.");
        Lengths(settings.Lengths, target, "context length");
    }

    /// <param name="uploaded">The QA data sets uploaded so far: qa_1 and qa_2 are skipped without theirs.</param>
    public static void Ruler(RulerSettings settings, EvaluationTargetRequest target, IReadOnlySet<QaDatasetKind> uploaded)
    {
        if (settings.Tasks.Count == 0) throw new ArgumentException("Choose at least one RULER task.");
        var runnable = settings.Tasks.Select(RulerTask.Find).Where(t => t.Qa is not { } kind || uploaded.Contains(kind)).ToList();
        if (runnable.Count == 0)
            throw new ArgumentException(
                $"{string.Join(" and ", settings.Tasks)} need{(settings.Tasks.Count == 1 ? "s" : "")} an uploaded QA data set (SQuAD v2 for qa_1, HotpotQA for qa_2), and none is uploaded: upload it first or add other tasks.");
        Lengths(settings.Lengths, target, "RULER length");
        RulerFits(settings, target);
    }

    public static void Perplexity(IReadOnlyList<int> lengths, EvaluationTargetRequest target) => Lengths(lengths, target, "context length");

    /// <summary>A required length is within reach when its prompt and generation budget fit the target's maximum length.</summary>
    public static void LengthFollowing(LengthFollowing.LengthFollowingSettings settings, EvaluationTargetRequest target)
    {
        if (settings.RequiredWords.Any(w => settings.ContextNeeded(w) <= target.MaxLength)) return;
        var shortest = settings.RequiredWords.Min();
        throw new ArgumentException(
            $"Asking for {shortest} words takes {settings.ContextNeeded(shortest)} tokens of context (the prompt and a budget of {settings.TokensPerWord} tokens a word), " +
            $"more than the target's maximum length of {target.MaxLength}, so the run would have nothing to score. Ask for fewer words, or raise the maximum length if the target takes more.");
    }

    private static void Lengths(IReadOnlyList<int> lengths, EvaluationTargetRequest target, string what)
    {
        if (lengths.Count == 0) throw new ArgumentException($"Choose at least one {what}.");
        if (lengths.Any(l => l <= target.MaxLength)) return;
        var unit = target.Tokenizer is "byte" or Text.TokenCounters.Bytes ? "bytes" : "tokens";
        throw new ArgumentException(
            $"Every {what} ({string.Join(", ", lengths.Order())}) is longer than the target's maximum length of {target.MaxLength} {unit}, " +
            $"so the run would have nothing to score. Choose lengths up to {target.MaxLength}, or raise the maximum length if the target takes more.");
    }
}
