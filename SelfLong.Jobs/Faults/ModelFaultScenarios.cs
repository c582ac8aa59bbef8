using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Endpoints;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Synthesis;

namespace SelfLong.Jobs.Faults;

/// <summary>
/// The same synthesis run and RULER run against a healthy server and against one that drops 10 %
/// of connections, answers 500 to 10 %, 429 with Retry-After to 5 % and hangs on 1 %: both must
/// finish, with the same samples and the same predictions.
/// </summary>
public static class ModelFaultScenarios
{
    public static readonly FaultMix Mix = new(Drop: 0.10, ServerError: 0.10, RateLimited: 0.05, Hang: 0.01);
    private const int Samples = 12;

    public sealed record Report(FaultMix Mix, Dictionary<string, int> Injected, FaultOutcome Synthesis, FaultOutcome Ruler);

    public static async Task<Report> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var healthy = await BenchChatServer.StartAsync(TimeSpan.FromMilliseconds(20));
        await using var faulty = await BenchChatServer.StartAsync(TimeSpan.FromMilliseconds(20), Mix);
        var (synthesisHealthy, _) = await SynthesizeAsync(services, healthy.V1, ct);
        var (synthesisFaulty, synthesisOutcome) = await SynthesizeAsync(services, faulty.V1, ct);
        var (rulerHealthy, _) = await RulerAsync(services, healthy.V1, ct);
        var (rulerFaulty, rulerOutcome) = await RulerAsync(services, faulty.V1, ct);
        var injected = faulty.Injected;
        return new Report(Mix,
            new() { ["dropped"] = injected.Dropped, ["server_errors"] = injected.ServerErrors, ["rate_limited"] = injected.RateLimited, ["hung"] = injected.Hung },
            synthesisOutcome with { SameAsHealthy = Same(synthesisHealthy, synthesisFaulty) },
            rulerOutcome with { SameAsHealthy = Same(rulerHealthy, rulerFaulty) });
    }

    private static int Same<TKey>(Dictionary<TKey, string> healthy, Dictionary<TKey, string> faulty) where TKey : notnull =>
        healthy.Count(h => faulty.TryGetValue(h.Key, out var f) && f == h.Value);

    private static async Task<(Dictionary<int, string>, FaultOutcome)> SynthesizeAsync(IServiceProvider services, string v1, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var dbFactory = services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        var (endpoint, errors) = await services.GetRequiredService<ModelEndpointService>().CreateAsync(new ModelEndpointInput(
            $"faults-{Guid.NewGuid():N}"[..30], ModelEndpointKind.OpenAiCompatible, v1, "bench", null, 8192, 8, 3), ct);
        if (endpoint is null) throw new InvalidOperationException(string.Join("; ", errors.SelectMany(e => e.Value)));
        var corpus = new Data.Corpora.Corpus { Name = $"faults-synthetic-{Guid.NewGuid():N}"[..30] };
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.Corpora.Add(corpus);
            await db.SaveChangesAsync(ct);
        }
        var executor = SyntheticSynthesis.Executor(services);
        var runs = services.GetRequiredService<SynthesisRunService>();
        var settings = new SynthesisSettings { MinTargetTokens = 8192, MaxTargetTokens = 8192, LongOutputFraction = 0 };
        var (run, runErrors) = await runs.CreateAsync(new NewSynthesisRun("faults", corpus.Id, endpoint.Id, Samples, Seed: 3, settings), ct);
        if (run is null) throw new InvalidOperationException(string.Join("; ", runErrors.SelectMany(e => e.Value)));
        var queue = new InProcessSampleJobQueue();
        await runs.StartAsync(run.Id, queue, ct);
        await queue.RunAllAsync(executor, 8, null, ct);
        await using var read = await dbFactory.CreateDbContextAsync(ct);
        var samples = await read.SynthesisSamples.Where(s => s.RunId == run.Id).ToListAsync(ct);
        var done = samples.Where(s => s.Status == SampleStatus.Completed).ToList();
        var finished = (await runs.FindAsync(run.Id, ct))!;
        var outcome = new FaultOutcome(finished.Status.ToString(), Samples, done.Select(s => s.Index).Distinct().Count(),
            Samples - done.Select(s => s.Index).Distinct().Count(), samples.Count - samples.Select(s => s.Index).Distinct().Count(),
            Math.Round(watch.Elapsed.TotalSeconds, 1), samples.FirstOrDefault(s => s.Error is not null)?.Error);
        return (done.ToDictionary(s => s.Index, s => s.Instruction + "\n" + s.Response), outcome);
    }

    private static async Task<(Dictionary<(string, int, int), string>, FaultOutcome)> RulerAsync(IServiceProvider services, string v1, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var evaluations = services.GetRequiredService<EvaluationService>();
        var target = new EvaluationTargetRequest(EvaluationTargetKind.OpenAiChat, v1, "bench", null, "none", 4096);
        var run = await evaluations.CreateRulerAsync($"faults {Guid.NewGuid():N}"[..20], target,
            new RulerSettings { Lengths = [4096], Samples = 3, Seed = 5 }, ct, enqueue: false);
        using (var scope = services.CreateScope())
        {
            try
            {
                await scope.ServiceProvider.GetRequiredService<EvaluationJob>().RunAsync(run.Id, ct);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Recorded on the run; the outcome below reports it.
            }
        }
        run = (await evaluations.FindAsync(run.Id, ct))!;
        var results = await evaluations.RulerSamplesAsync(run.Id, ct);
        var keys = results.Select(r => (r.Task, r.Length, r.Index)).ToList();
        var outcome = new FaultOutcome(run.Status.ToString(), run.TotalItems, keys.Distinct().Count(), run.TotalItems - keys.Distinct().Count(),
            keys.Count - keys.Distinct().Count(), Math.Round(watch.Elapsed.TotalSeconds, 1), run.Message);
        return (results.GroupBy(r => (r.Task, r.Length, r.Index)).ToDictionary(g => g.Key, g => g.First().Prediction), outcome);
    }
}
