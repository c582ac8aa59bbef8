using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation.LengthFollowing;
using SelfLong.Jobs.Evaluation.Targets;

namespace SelfLong.Jobs.Evaluation;

public sealed partial class EvaluationRunner
{
    /// <summary>Each (required length, prompt) not yet stored, a few at a time; every output is kept whole.</summary>
    private async Task RunLengthFollowingAsync(EvaluationRun run, IEvaluationTarget target, CancellationToken ct)
    {
        var settings = EvaluationJson.Read<LengthFollowingSettings>(run.SettingsJson);
        HashSet<(int, int)> done;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            done = (await db.LengthFollowingOutputs.Where(o => o.RunId == run.Id).Select(o => new { o.RequiredWords, o.PromptIndex }).ToListAsync(ct))
                .Select(o => (o.RequiredWords, o.PromptIndex)).ToHashSet();
        }
        var todo = settings.RequiredWords.Where(w => settings.ContextNeeded(w) <= run.MaxLength)
            .SelectMany(w => Enumerable.Range(0, settings.PromptsPerLength).Select(i => (Words: w, Index: i)))
            .Where(item => !done.Contains((item.Words, item.Index))).ToList();
        await SetTotalAsync(run.Id, done.Count + todo.Count, ct);
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (item, token) =>
        {
            var prompt = LengthFollowingPrompts.Build(item.Words, item.Index);
            var budget = settings.MaxNewTokens(item.Words);
            var watch = Stopwatch.StartNew();
            var output = await target.GenerateAsync(prompt, "", budget, token);
            watch.Stop();
            await SaveAsync(run.Id, new LengthFollowingOutput
            {
                RunId = run.Id, RequiredWords = item.Words, PromptIndex = item.Index, Prompt = prompt, Output = output,
                OutputWords = LengthFollowingMetrics.CountWords(output), OutputTokens = target.CountTokens(output), MaxNewTokens = budget,
                DurationSeconds = watch.Elapsed.TotalSeconds,
            }, token);
        });
    }
}
