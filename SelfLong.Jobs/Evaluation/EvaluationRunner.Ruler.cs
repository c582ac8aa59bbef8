using System.Diagnostics;
using System.IO.Compression;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Evaluation.Targets;

namespace SelfLong.Jobs.Evaluation;

/// <summary>A RULER run: its items, and the haystack and QA data sets they are made from.</summary>
public sealed partial class EvaluationRunner
{
    private async Task RunRulerAsync(EvaluationRun run, IEvaluationTarget target, CancellationToken ct)
    {
        var settings = EvaluationJson.Read<RulerSettings>(run.SettingsJson);
        var generator = new RulerGenerator(await ResourcesAsync(target, settings.HaystackCorpusId, ct));
        HashSet<(string, int, int)> done;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            done = (await db.RulerSamples.Where(s => s.RunId == run.Id).Select(s => new { s.Task, s.Length, s.Index }).ToListAsync(ct))
                .Select(s => (s.Task, s.Length, s.Index)).ToHashSet();
        }
        var todo = Items(settings, run.MaxLength, generator).Where(i => !done.Contains((i.Task.Name, i.Length, i.Index))).ToList();
        await SetTotalAsync(run.Id, done.Count + todo.Count, ct);
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (item, token) =>
        {
            var sample = generator.Generate(item.Task, item.Length, item.Index, settings.Seed, target.TemplateTokens);
            var watch = Stopwatch.StartNew();
            var prediction = await target.GenerateAsync(sample.Input, sample.AnswerPrefix, item.Task.TokensToGenerate, token);
            watch.Stop();
            await SaveAsync(run.Id, new RulerSampleResult
            {
                RunId = run.Id, Task = item.Task.Name, Length = item.Length, Index = item.Index,
                PromptHash = EvaluationJson.Hash(sample.Input), PromptTokens = sample.Length, Outputs = [.. sample.Outputs],
                AnswerPrefix = sample.AnswerPrefix, Prediction = prediction,
                Score = RulerMetrics.Score(item.Task.Metric, prediction, sample.Outputs), DurationSeconds = watch.Elapsed.TotalSeconds,
            }, token);
        });
    }

    /// <summary>The (task, length, index) items a RULER run covers: lengths within the target, tasks whose data exist.</summary>
    public static IEnumerable<(RulerTask Task, int Length, int Index)> Items(RulerSettings settings, int maxLength, RulerGenerator? generator) =>
        from name in settings.Tasks
        let task = RulerTask.Find(name)
        where generator is null || generator.CanGenerate(task)
        from length in settings.Lengths
        where length <= maxLength
        from index in Enumerable.Range(0, settings.Samples)
        select (task, length, index);

    /// <summary>Haystack and QA data sets in the target's tokens; QA sets are the latest uploads.</summary>
    public async Task<RulerResources> ResourcesAsync(IEvaluationTarget target, long? haystackCorpusId, CancellationToken ct)
    {
        var (essay, essayName) = await HaystackAsync(haystackCorpusId, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        async Task<QaDataset?> Load(string kind, QaDatasetKind parsed)
        {
            var file = await db.QaDatasetFiles.AsNoTracking().Where(f => f.Kind == kind).OrderByDescending(f => f.UploadedAt).FirstOrDefaultAsync(ct);
            if (file is null) return null;
            using var gzip = new GZipStream(new MemoryStream(file.CompressedJson), CompressionMode.Decompress);
            return QaDataset.Parse(parsed, gzip);
        }
        return RulerResources.Create(new TargetTokenCounter(target), essay, essayName,
            squad: await Load(QaDatasetKinds.Squad, QaDatasetKind.Squad), hotpotQa: await Load(QaDatasetKinds.HotpotQa, QaDatasetKind.HotpotQa));
    }

    /// <summary>The corpus's sentences when a corpus haystack was chosen; null for the bundled prose.</summary>
    private async Task<(IReadOnlyList<string>? Sentences, string? Name)> HaystackAsync(long? corpusId, CancellationToken ct)
    {
        if (corpusId is not { } id) return (null, null);
        var source = haystacks.FirstOrDefault()
            ?? throw new InvalidOperationException("This build cannot read a corpus as a haystack; choose the bundled prose.");
        var (name, sentences) = await source.LoadAsync(id, ct);
        if (sentences.Count == 0) throw new InvalidOperationException($"Corpus {name} has no text to use as a haystack.");
        return (sentences, name);
    }
}
