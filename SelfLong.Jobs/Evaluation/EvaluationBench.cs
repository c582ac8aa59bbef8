using System.Diagnostics;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// `./selflong bench eval`: how long RULER generation takes. One sample of each task at every
/// default length (the 128k ones reported), one niah_single_1 at 1M, and from those the projected
/// time for a full set (13 tasks x 6 lengths x 500 samples) on this machine's cores.
/// </summary>
public static class EvaluationBench
{
    public static object Run(int samplesPerCell = 2)
    {
        var cores = Environment.ProcessorCount;
        var prepare = Stopwatch.StartNew();
        var generator = new RulerGenerator(RulerResources.Create(TiktokenTokenCounter.Default));
        // One untimed sample per task first, so start-up work is not projected 500-fold.
        foreach (var task in RulerTask.All.Where(generator.CanGenerate)) generator.Generate(task, 4096, 0);
        prepare.Stop();

        var secondsAt128k = new Dictionary<string, double?>();
        double projectedSerial = 0;
        foreach (var task in RulerTask.All)
        {
            if (!generator.CanGenerate(task))
            {
                secondsAt128k[task.Name] = null;
                continue;
            }
            foreach (var length in RulerTask.DefaultLengths)
            {
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < samplesPerCell; i++) generator.Generate(task, length, i);
                var perSample = watch.Elapsed.TotalSeconds / samplesPerCell;
                projectedSerial += perSample * RulerTask.DefaultSamples;
                if (length == 131072) secondsAt128k[task.Name] = Math.Round(perSample, 3);
            }
        }
        // qa samples cost about what niah essay samples cost (documents instead of sentences).
        var qaStandIn = secondsAt128k.Count(s => s.Value is null) * projectedSerial / Math.Max(1, secondsAt128k.Count(s => s.Value is not null));

        var million = Stopwatch.StartNew();
        var sample = generator.Generate(RulerTask.Find("niah_single_1"), 1_048_576, 0);
        million.Stop();

        return new
        {
            benchmark = "eval",
            tokenizer = generator.Resources.Tokenizer.Name,
            cores,
            prepare_seconds = Math.Round(prepare.Elapsed.TotalSeconds, 3),
            seconds_per_sample_128k = secondsAt128k,
            niah_single_1_1m_seconds = Math.Round(million.Elapsed.TotalSeconds, 3),
            niah_single_1_1m_tokens = sample.Length,
            peak_memory_mb = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024),
            full_set_projected_minutes = Math.Round((projectedSerial + qaStandIn) / cores / 60, 2),
            full_set_target_minutes = 10,
            note = "qa_1/qa_2 need the uploaded SQuAD/HotpotQA files; their share of the projection is estimated from the other tasks' mean.",
        };
    }
}
