using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Evaluation.Targets;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation;

internal static partial class EvaluationReach
{
    /// <summary>
    /// Refuses a RULER grid where a chosen task's fixed prompt (instructions, few-shot example, query)
    /// and its answer budget do not fit a length within reach: the runner would make every such sample
    /// fail (cwe's example alone is over 1024 bytes), so the run would fill with failures instead of
    /// scores. Each refusal names the tasks and lengths, so the user can drop them or lengthen the grid.
    /// </summary>
    public static void RulerFits(RulerSettings settings, EvaluationTargetRequest target)
    {
        if (Estimate(target) is not var (tokenizer, reserved)) return;
        var generator = new RulerGenerator(RulerResources.Create(tokenizer));
        var reach = settings.Lengths.Where(l => l <= target.MaxLength).Distinct().Order().ToList();
        // qa_1 and qa_2 are sized by their uploaded documents, not a fixed template; their data is checked apart.
        var tasks = settings.Tasks.Select(RulerTask.Find).Where(t => t.Qa is null).ToList();
        if (tasks.Count == 0 || reach.Count == 0) return;
        var misses = tasks.Select(t => (Task: t, Lengths: reach.TakeWhile(l => !Fits(generator, t, l, settings.Seed, reserved)).ToList()))
            .Where(m => m.Lengths.Count > 0).ToList();
        if (misses.Count == 0) return;
        var unit = tokenizer is ByteTokenizer ? "bytes" : "tokens";
        var named = string.Join("; ", misses.Select(m => $"{m.Task.Name} at {string.Join(", ", m.Lengths)}"));
        if (misses.Count == tasks.Count && misses.All(m => m.Lengths.Count == reach.Count) && tasks.Count == settings.Tasks.Count)
            throw new ArgumentException(
                $"No chosen RULER task fits any length within the target's reach ({named} {unit}): each one's instructions, example and answer " +
                "take more than the length, so every sample would fail. Choose longer lengths, or tasks with shorter prompts.");
        throw new ArgumentException(
            $"Some RULER tasks do not fit some lengths ({named} {unit}): their instructions, example and answer take more than the length, " +
            "so those samples would fail. Leave those tasks out, or drop those lengths.");
    }

    /// <summary>
    /// Whether one sample generates; one that fits at a length fits at every longer one (the template is
    /// fixed and the haystack grows), so callers stop at the first length that fits. Past 8192 a sample
    /// at 8192 is tried first: one that fits there settles it without building a prompt of a million tokens.
    /// </summary>
    private static bool Fits(RulerGenerator generator, RulerTask task, int length, int seed, int reserved)
    {
        const int Probe = 8192;
        return generator.Fits(task, Math.Min(length, Probe), seed, reserved)
            || (length > Probe && generator.Fits(task, length, seed, reserved));
    }

    /// <summary>
    /// The target's tokenizer and chat-template tokens as the runner will count them, or null where they
    /// cannot be known without the target (a server-side tokenizer, a folder with no tokenizer yet: the
    /// run reports those itself).
    /// </summary>
    private static (ITokenCounter Tokenizer, int Reserved)? Estimate(EvaluationTargetRequest target)
    {
        try
        {
            if (target.Kind == EvaluationTargetKind.LocalCheckpoint)
            {
                var local = LocalCheckpoint.LoadTokenizer(target.Location);
                return (local, LocalCheckpoint.ChatOverhead(local));
            }
            if (target.Tokenizer.Trim() == ServerTokenCounter.Choice) return null;
            var tokenizer = TokenCounters.Resolve(target.Tokenizer);
            return (tokenizer, OpenAiTarget.TemplateTokensFor(target.Kind == EvaluationTargetKind.OpenAiChat, target.ChatTemplate, tokenizer));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or FormatException
            or InvalidOperationException)
        {
            return null;
        }
    }
}
