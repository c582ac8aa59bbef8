using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Evaluation.Perplexity;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Evaluation.Targets;
using SelfLong.Jobs.Progress;

namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// Runs an evaluation: the cells, samples or lengths not yet scored, a few at a time, each stored as it
/// finishes. Stops early when the run's cancel flag is set; what was stored stays.
/// </summary>
public sealed partial class EvaluationRunner(IDbContextFactory<SelfLongDbContext> dbFactory, EvaluationTargetFactory targets, TargetEndpoints judges,
    IEnumerable<IHaystackSource> haystacks, ProgressPublisher progress, ILogger<EvaluationRunner> logger)
{
    /// <summary>Requests in flight at once against an endpoint; a local checkpoint generates one at a time.</summary>
    public int Concurrency { get; set; } = 4;

    private int concurrency = 4;

    public async Task RunAsync(long runId, CancellationToken ct)
    {
        EvaluationRun run;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            run = await db.EvaluationRuns.AsNoTracking().SingleAsync(r => r.Id == runId, ct);
        }
        if (run.Imported) throw new InvalidOperationException("An imported run has no target to run.");
        using var target = await targets.CreateAsync(run, ct);
        concurrency = run.TargetKind == EvaluationTargetKind.LocalCheckpoint ? 1 : Concurrency;
        await target.PrepareAsync(ct);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            // Record whose tokens the lengths were measured in and where the answer prefix goes.
            await db.EvaluationRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.SizedWith, target.TokenizerName).SetProperty(r => r.PromptLayout, target.PromptLayout), ct);
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watcher = WatchCancelAsync(runId, cancel);
        try
        {
            var work = run.Kind switch
            {
                EvaluationKind.Niah => RunNiahAsync(run, target, cancel.Token),
                EvaluationKind.Ruler => RunRulerAsync(run, target, cancel.Token),
                EvaluationKind.LengthFollowing => RunLengthFollowingAsync(run, target, cancel.Token),
                _ => RunPerplexityAsync(run, target, cancel.Token),
            };
            await work;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The user cancelled: the watcher stopped the work; the job records Cancelled.
        }
        finally
        {
            await cancel.CancelAsync();
            await watcher;
        }
    }

    private async Task RunNiahAsync(EvaluationRun run, IEvaluationTarget target, CancellationToken ct)
    {
        var settings = EvaluationJson.Read<NiahSettings>(run.SettingsJson);
        var (essay, essayName) = await HaystackAsync(settings.HaystackCorpusId, ct);
        var prompts = new NiahPrompt(RulerResources.Create(new TargetTokenCounter(target), essay, essayName));
        using var judge = settings.Scoring == NiahScoring.Judge ? await JudgeAsync(run.Id, settings, ct) : null;
        HashSet<(int, int)> done;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            done = (await db.NiahCells.Where(c => c.RunId == run.Id).Select(c => new { c.ContextLength, c.DepthPercent }).ToListAsync(ct))
                .Select(c => (c.ContextLength, c.DepthPercent)).ToHashSet();
        }
        var todo = settings.Lengths.Where(l => l <= run.MaxLength)
            .SelectMany(l => settings.Depths.Select(d => (Length: l, Depth: d)))
            .Where(c => !done.Contains((c.Length, c.Depth))).ToList();
        await SetTotalAsync(run.Id, done.Count + todo.Count, ct);
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (cell, token) =>
        {
            var prompt = prompts.Build(cell.Length, cell.Depth, settings, target.TemplateTokens);
            var watch = Stopwatch.StartNew();
            var response = await target.GenerateAsync(prompt.Prompt, prompt.AnswerPrefix, settings.MaxNewTokens, token);
            var score = settings.Scoring switch
            {
                NiahScoring.Judge => NiahScorer.ParseJudge(
                    await judge!.GenerateAsync(NiahScorer.JudgePrompt(settings.Question, settings.Answer, response), "", NiahScorer.JudgeTokens, token)),
                NiahScoring.FuScript => NiahScorer.ScriptRecall(response, settings.Answer),
                _ => NiahScorer.Recall(response, settings.Answer),
            };
            watch.Stop();
            await SaveAsync(run.Id, new NiahCell
            {
                RunId = run.Id, ContextLength = cell.Length, DepthPercent = cell.Depth, PromptTokens = prompt.Tokens,
                PromptHash = EvaluationJson.Hash(prompt.Prompt), NeedleExcerpt = NiahExcerpts.Needle(prompt.Prompt, settings.Needle),
                PromptEnd = NiahExcerpts.End(prompt.Prompt), Response = response, Score = score, DurationSeconds = watch.Elapsed.TotalSeconds,
            }, token);
        });
    }

    /// <summary>One length at a time, shortest first; each is stored as it finishes, so a resumed run skips it.</summary>
    private async Task RunPerplexityAsync(EvaluationRun run, IEvaluationTarget target, CancellationToken ct)
    {
        var checkpoint = (target as LocalCheckpointTarget)?.Checkpoint
            ?? throw new InvalidOperationException("Perplexity needs a local checkpoint: an endpoint gives no token log-likelihoods.");
        var settings = EvaluationJson.Read<PerplexitySettings>(run.SettingsJson);
        var text = settings.HeldOutCorpusId is null
            ? HeldOutText.Bundled()
            : string.Join(" ", (await HaystackAsync(settings.HeldOutCorpusId, ct)).Sentences!);
        HashSet<int> done;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            done = [.. await db.PerplexityLengths.Where(p => p.RunId == run.Id).Select(p => p.ContextLength).ToListAsync(ct)];
        }
        var lengths = settings.Lengths.Where(l => l <= run.MaxLength).ToList();
        var todo = lengths.Where(l => !done.Contains(l)).Order().ToList();
        await SetTotalAsync(run.Id, lengths.Count, ct);
        if (todo.Count == 0) return;
        var heldOut = await Task.Run(() => checkpoint.Encode(text), ct);
        var firstBucket = settings.FirstBucketFor(settings.Lengths);
        foreach (var length in todo)
        {
            var watch = Stopwatch.StartNew();
            var point = await Task.Run(() => PerplexityByLength.Measure(checkpoint, heldOut, length, settings.Windows, firstBucket, ct), ct);
            await SaveAsync(run.Id, new PerplexityLengthResult
            {
                RunId = run.Id, ContextLength = length, Windows = point.Windows, Tokens = point.Tokens, MeanNll = point.MeanNll,
                BucketEnds = [.. point.Buckets.Select(b => b.To)], BucketMeanNlls = [.. point.Buckets.Select(b => b.MeanNll)],
                DurationSeconds = watch.Elapsed.TotalSeconds,
            }, ct);
        }
    }

    private async Task<OpenAiTarget> JudgeAsync(long runId, NiahSettings settings, CancellationToken ct)
    {
        if (settings.JudgeEndpointId is { } id) return targets.CreateJudge(await judges.FindAsync(id, ct), runId);
        if (string.IsNullOrWhiteSpace(settings.JudgeBaseUrl) || string.IsNullOrWhiteSpace(settings.JudgeModel))
            throw new InvalidOperationException("LLM-judge scoring needs a judge endpoint and model.");
        // A run from before judges were endpoints: its judge gets its row now.
        var endpoint = await judges.EnsureAsync(settings.JudgeBaseUrl, settings.JudgeModel, targets.Unprotect(settings.ProtectedJudgeApiKey), 8192, ct);
        return targets.CreateJudge(endpoint, runId);
    }

    private async Task SaveAsync<T>(long runId, T row, CancellationToken ct) where T : class
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another worker scored it first: it counts once.
            return;
        }
        await db.EvaluationRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.DoneItems, r => r.DoneItems + 1), ct);
        progress.Publish(ProgressFeatures.Evaluation, runId);
    }

    private async Task SetTotalAsync(long runId, int total, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.EvaluationRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.TotalItems, total), ct);
        await db.Database.ExecuteSqlAsync(
            $"UPDATE evaluation_runs SET \"DoneItems\" = (SELECT count(*) FROM niah_cells WHERE \"RunId\" = {runId}) + (SELECT count(*) FROM ruler_samples WHERE \"RunId\" = {runId}) + (SELECT count(*) FROM perplexity_lengths WHERE \"RunId\" = {runId}) + (SELECT count(*) FROM length_following_outputs WHERE \"RunId\" = {runId}) WHERE \"Id\" = {runId}", ct);
        progress.Publish(ProgressFeatures.Evaluation, runId);
    }

    /// <summary>Polls the run's cancel flag once a second and cancels the work when it is set.</summary>
    private async Task WatchCancelAsync(long runId, CancellationTokenSource cancel)
    {
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancel.Token);
                await using var db = await dbFactory.CreateDbContextAsync(cancel.Token);
                if (await db.EvaluationRuns.Where(r => r.Id == runId).Select(r => r.CancelRequested).SingleAsync(cancel.Token))
                {
                    logger.LogInformation("Evaluation {RunId} cancelled by the user.", runId);
                    await cancel.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Work finished or was cancelled.
        }
    }
}
