using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// `./selflong bench eval`: RULER generation measured for real. The full set (13 tasks x 4k..128k x
/// the given samples, qa from small made-up SQuAD and HotpotQA files) generated on this machine's
/// cores and timed, then one sample per task at 256k, 512k and 1M with its length in tokens.
/// </summary>
public static class EvaluationBench
{
    public static readonly IReadOnlyList<int> LongLengths = [262144, 524288, 1_048_576];

    public static object Run(int samples = RulerTask.DefaultSamples)
    {
        var cores = Environment.ProcessorCount;
        var prepare = Stopwatch.StartNew();
        var counter = new CountingTokenCounter(TiktokenTokenCounter.Default);
        var generator = new RulerGenerator(RulerResources.Create(counter,
            squad: QaDataset.Parse(QaDatasetKind.Squad, Utf8(SquadJson(400))),
            hotpotQa: QaDataset.Parse(QaDatasetKind.HotpotQa, Utf8(HotpotJson(400)))));
        prepare.Stop();

        var items = (from task in RulerTask.All
                     from length in RulerTask.DefaultLengths
                     from index in Enumerable.Range(0, samples)
                     select (task, length, index)).ToList();
        var refused = new ConcurrentBag<string>();
        // CPU time per task, so a slow generator is named rather than guessed.
        var taskTicks = new ConcurrentDictionary<string, long>();
        var tokenized = new ConcurrentDictionary<string, long>();
        var prompted = new ConcurrentDictionary<string, long>();
        var full = Stopwatch.StartNew();
        Parallel.ForEach(items, new ParallelOptions { MaxDegreeOfParallelism = cores }, item =>
        {
            var started = Stopwatch.GetTimestamp();
            var before = counter.CharactersOnThisThread;
            try
            {
                var sample = generator.Generate(item.task, item.length, item.index);
                prompted.AddOrUpdate(item.task.Name, sample.Input.Length, (_, c) => c + sample.Input.Length);
                tokenized.AddOrUpdate(item.task.Name, counter.CharactersOnThisThread - before, (_, c) => c + counter.CharactersOnThisThread - before);
            }
            catch (RulerLengthException e)
            {
                refused.Add(e.Message);
            }
            taskTicks.AddOrUpdate(item.task.Name, Stopwatch.GetElapsedTime(started).Ticks, (_, t) => t + Stopwatch.GetElapsedTime(started).Ticks);
        });
        full.Stop();

        var longSamples = new List<object>();
        foreach (var task in RulerTask.All)
            foreach (var length in LongLengths)
            {
                var watch = Stopwatch.StartNew();
                var sample = generator.Generate(task, length, 0);
                var tokens = sample.Length + task.TokensToGenerate;
                longSamples.Add(new
                {
                    task = task.Name, length, tokens, percent_of_length = Math.Round(100.0 * tokens / length, 2),
                    within_2_percent = tokens >= length * 0.98 && tokens <= length, seconds = Math.Round(watch.Elapsed.TotalSeconds, 2),
                });
            }

        return new
        {
            benchmark = "eval",
            tokenizer = generator.Resources.Tokenizer.Name,
            cores,
            prepare_seconds = Math.Round(prepare.Elapsed.TotalSeconds, 3),
            samples_per_task_and_length = samples,
            samples_generated = items.Count - refused.Count,
            samples_refused = refused.Count,
            first_refusal = refused.FirstOrDefault(),
            full_set_measured_minutes = Math.Round(full.Elapsed.TotalMinutes, 2),
            full_set_target_minutes = samples == RulerTask.DefaultSamples ? 10 : (double?)null,
            // Characters tokenized per character of prompt made: 1 is one count of each prompt.
            tokenizer_passes_by_task = prompted.OrderBy(p => p.Key).ToDictionary(p => p.Key, p => Math.Round(tokenized[p.Key] / (double)Math.Max(1, p.Value), 2)),
            thread_seconds_by_task = taskTicks.OrderByDescending(t => t.Value).ToDictionary(t => t.Key, t => Math.Round(TimeSpan.FromTicks(t.Value).TotalSeconds, 1)),
            long_samples = longSamples,
            peak_memory_mb = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024),
            note = "qa_1/qa_2 use small made-up SQuAD v2 and HotpotQA files of 400 articles and questions, parsed as uploads are.",
        };
    }

    private static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>SQuAD v2 shape: articles of three paragraphs with one answerable question each.</summary>
    private static string SquadJson(int articles) => "{\"version\": \"v2.0\", \"data\": [" + string.Join(",", Enumerable.Range(0, articles).Select(a =>
        $$"""{"title": "Article {{a}}", "paragraphs": [{{string.Join(",", Enumerable.Range(0, 3).Select(p =>
            $$"""{"context": "Article {{a}}, part {{p}}: the ship Pequod{{a}}x{{p}} sailed from Nantucket in the winter of year {{1800 + a}}, and its crew of {{20 + p}} sailors hunted whales for {{a % 7 + 2}} years before they came home with oil and stories.", "qas": [{"question": "Which ship sailed in article {{a}}, part {{p}}?", "id": "q{{a}}-{{p}}", "answers": [{"text": "Pequod{{a}}x{{p}}", "answer_start": 0}], "is_impossible": false}]}"""))}}]}""")) + "]}";

    /// <summary>HotpotQA distractor shape: each question with two paragraphs as [title, sentences].</summary>
    private static string HotpotJson(int questions) => "[" + string.Join(",", Enumerable.Range(0, questions).Select(i => $$"""
        {"_id": "h{{i}}", "question": "Which ship did captain {{i}} command?", "answer": "Vessel{{i}}",
         "context": [["Captain {{i}}", ["Captain {{i}} commanded the Vessel{{i}} for many years. ", "He sailed often and far."]],
                     ["Harbour {{i}}", ["Harbour {{i}} was quiet in the evenings. ", "Gulls flew over it."]]]}
        """)) + "]";
}
