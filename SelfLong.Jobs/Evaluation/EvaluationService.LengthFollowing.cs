using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation.LengthFollowing;

namespace SelfLong.Jobs.Evaluation;

public sealed partial class EvaluationService
{
    /// <summary>
    /// Length following (the paper's Figure 3): each writing task asked at each required word count,
    /// greedily, with a budget of <see cref="LengthFollowingSettings.TokensPerWord"/> tokens a word.
    /// A count whose prompt and budget exceed the target's maximum length is not asked.
    /// </summary>
    public Task<EvaluationRun> CreateLengthFollowingAsync(string name, EvaluationTargetRequest target, LengthFollowingSettings settings,
        CancellationToken ct = default, bool enqueue = true)
    {
        target = Sandboxed(target);
        if (settings.RequiredWords.Count == 0) settings = settings with { RequiredWords = LengthFollowingSettings.DefaultRequiredWords };
        if (settings.RequiredWords.Any(w => w is < 10 or > 200_000))
            throw new ArgumentException("Required lengths are word counts from 10 to 200000.");
        if (settings.PromptsPerLength < 1 || settings.PromptsPerLength > LengthFollowingPrompts.Tasks.Count)
            throw new ArgumentException($"Prompts per length must be between 1 and {LengthFollowingPrompts.Tasks.Count} (the writing tasks there are).");
        if (settings.TokensPerWord is < 1 or > 8)
            throw new ArgumentException("The token budget per required word must be between 1 and 8.");
        settings = settings with { RequiredWords = [.. settings.RequiredWords.Distinct().Order()] };
        EvaluationReach.LengthFollowing(settings, target);
        return CreateAsync(name, EvaluationKind.LengthFollowing, target, EvaluationJson.Write(settings),
            settings.RequiredWords.Count(w => settings.ContextNeeded(w) <= target.MaxLength) * settings.PromptsPerLength, enqueue, ct);
    }

    public async Task<IReadOnlyList<LengthFollowingOutput>> LengthFollowingOutputsAsync(long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.LengthFollowingOutputs.AsNoTracking().Where(o => o.RunId == runId)
            .OrderBy(o => o.RequiredWords).ThenBy(o => o.PromptIndex).ToListAsync(ct);
    }
}
