using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SelfLong.Data;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Cli;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// `./selflong bench synthesis`: LLM calls/s and samples/min against a local server with fixed
/// latency L and concurrency C, as a ratio of the ideal C/L; and calls per sample by target length.
/// </summary>
public static class SynthesisBench
{
    public static Command Command()
    {
        var latency = new Option<int>("--latency-ms") { Description = "Latency of every call of the bench server.", DefaultValueFactory = _ => 100 };
        var concurrency = new Option<int>("--concurrency") { Description = "The endpoint's maximum concurrent requests (C).", DefaultValueFactory = _ => 8 };
        var calls = new Option<int>("--calls") { Description = "Calls in the plain-call phase.", DefaultValueFactory = _ => 400 };
        var samples = new Option<int>("--samples") { Description = "Samples at the longest target length; shorter lengths get more, so each phase keeps C calls busy.", DefaultValueFactory = _ => 8 };
        var command = new Command("synthesis", "Synthesis throughput against a local OpenAI-compatible server (prints JSON).") { latency, concurrency, calls, samples };
        command.SetAction(async (parse, ct) =>
        {
            using var host = CliHost.Build();
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            var result = await RunAsync(host.Services, TimeSpan.FromMilliseconds(parse.GetValue(latency)), parse.GetValue(concurrency),
                parse.GetValue(calls), parse.GetValue(samples), ct);
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        });
        return command;
    }

    public static async Task<object> RunAsync(IServiceProvider services, TimeSpan latency, int concurrency, int callCount, int samplesPerLength, CancellationToken ct)
    {
        await using var server = await BenchChatServer.StartAsync(latency);
        var dbFactory = services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        var endpoints = services.GetRequiredService<ModelEndpointService>();
        var (endpoint, errors) = await endpoints.CreateAsync(new ModelEndpointInput($"bench-{Guid.NewGuid():N}"[..30], ModelEndpointKind.OpenAiCompatible,
            server.V1, "bench", null, 8192, concurrency, 60), ct);
        if (endpoint is null) throw new InvalidOperationException(string.Join("; ", errors.SelectMany(e => e.Value)));
        var idealCallsPerSecond = concurrency / latency.TotalSeconds;
        var runIds = new List<long>();
        // Runs need a corpus row; its documents come from the synthetic retriever below.
        var corpusRow = new SelfLong.Data.Corpora.Corpus { Name = $"bench-synthetic-{Guid.NewGuid():N}"[..30] };
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.Corpora.Add(corpusRow);
            await db.SaveChangesAsync(ct);
        }
        try
        {
            // Baseline in the same run: the bare chat client, C at a time, no cache, limiter or store.
            var chat = services.GetRequiredService<ChatClientFactory>().For(endpoint);
            using var gate = new SemaphoreSlim(concurrency);
            // Warm-up, unmeasured: connections opened and code compiled before any phase is timed.
            await Parallel.ForEachAsync(Enumerable.Range(0, concurrency * 4), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
                async (i, token) => await chat.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, $"warm-up call {i}")], cancellationToken: token));
            var cpu = CpuTime();
            var watch = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, callCount), new ParallelOptions { MaxDegreeOfParallelism = concurrency * 4, CancellationToken = ct },
                async (i, token) =>
                {
                    await gate.WaitAsync(token);
                    try { await chat.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, $"direct call {i}")], cancellationToken: token); }
                    finally { gate.Release(); }
                });
            var directPerSecond = callCount / watch.Elapsed.TotalSeconds;
            var directCpuMs = (CpuTime() - cpu).TotalMilliseconds / callCount;

            // Phase 1: plain calls through the cached, limited, retrying client.
            var llm = services.GetRequiredService<LlmClient>();
            cpu = CpuTime();
            watch.Restart();
            await Parallel.ForEachAsync(Enumerable.Range(0, callCount), new ParallelOptions { MaxDegreeOfParallelism = concurrency * 4, CancellationToken = ct },
                async (i, token) => await llm.CompleteAsync(endpoint, new LlmRequest([LlmMessage.User($"bench call {i}")], 16), token));
            var callsPerSecond = callCount / watch.Elapsed.TotalSeconds;
            var callsCpuMs = (CpuTime() - cpu).TotalMilliseconds / callCount;

            // Phase 2: whole samples, per target length, run in this process.
            var executor = SyntheticSynthesis.Executor(services);
            var runs = services.GetRequiredService<SynthesisRunService>();
            var byLength = new List<object>();
            var samplesAtOnce = concurrency * 4;
            long totalCalls = 0;
            double totalSeconds = 0, totalIdealSeconds = 0;
            // A short unmeasured run first, so the first measured phase does not pay for compiling the
            // synthesis code; each run has its own seed, so no phase is answered from another's cache.
            foreach (var (target, scale, measured) in new[] { (8_192, 1, false), (8_192, 4, true), (32_768, 2, true), (131_072, 1, true) })
            {
                var settings = new SynthesisSettings { MinTargetTokens = target, MaxTargetTokens = target, LongOutputFraction = 0 };
                var (run, runErrors) = await runs.CreateAsync(new NewSynthesisRun($"bench {target}", corpusRow.Id, endpoint.Id, samplesPerLength * scale, measured ? target : 1, settings), ct);
                if (run is null) throw new InvalidOperationException(string.Join("; ", runErrors.SelectMany(e => e.Value)));
                runIds.Add(run.Id);
                var queue = new InProcessSampleJobQueue();
                await runs.StartAsync(run.Id, queue, ct);
                cpu = CpuTime();
                watch.Restart();
                // Enough samples at once that the endpoint's C slots, not the samples' step order, set the pace.
                await queue.RunAllAsync(executor, samplesAtOnce, null, ct);
                if (!measured) continue;
                var seconds = watch.Elapsed.TotalSeconds;
                var cpuMs = (CpuTime() - cpu).TotalMilliseconds;
                var done = (await runs.ProgressAsync([run.Id], ct))[run.Id];
                var finished = (await runs.FindAsync(run.Id, ct))!;
                var made = finished.LlmCalls;
                List<int> depths;
                await using (var db = await dbFactory.CreateDbContextAsync(ct))
                {
                    var trees = await db.SynthesisSamples.Where(x => x.RunId == run.Id).Select(x => x.SummaryTreeJson).ToListAsync(ct);
                    depths = trees.Select(t => JsonDocument.Parse(t).RootElement.GetArrayLength() - 1).ToList();
                }
                var ideal = IdealSeconds(latency, concurrency, made, done.Completed, samplesAtOnce, depths);
                totalCalls += made;
                totalSeconds += seconds;
                totalIdealSeconds += ideal.Seconds;
                byLength.Add(new
                {
                    target_tokens = target, samples = done.Completed, failed = done.Failed,
                    mean_input_tokens = done.Completed == 0 ? 0 : done.InputTokens / done.Completed,
                    calls_per_sample = done.Completed == 0 ? 0 : (double)made / done.Completed, cache_hits = finished.CacheHits,
                    summary_levels = depths.Count == 0 ? 0 : depths.Average(), critical_path_calls = ideal.CriticalPath,
                    calls_per_s = Math.Round(made / seconds, 2), ratio_to_ideal = Math.Round(made / seconds / idealCallsPerSecond, 3),
                    samples_per_min = Math.Round(done.Completed / seconds * 60, 2),
                    ideal_samples_per_min = Math.Round(done.Completed / ideal.Seconds * 60, 2),
                    samples_ratio_to_ideal = Math.Round(ideal.Seconds / seconds, 3),
                    cpu_ms_per_call = Math.Round(cpuMs / Math.Max(1, made), 2),
                });
            }

            return new
            {
                area = "synthesis", latency_ms = latency.TotalMilliseconds, concurrency, ideal_calls_per_s = Math.Round(idealCallsPerSecond, 2),
                direct = new
                {
                    calls_per_s = Math.Round(directPerSecond, 2), ratio_to_ideal = Math.Round(directPerSecond / idealCallsPerSecond, 3),
                    cpu_ms_per_call = Math.Round(directCpuMs, 2),
                },
                calls = new
                {
                    count = callCount, calls_per_s = Math.Round(callsPerSecond, 2), ratio_to_ideal = Math.Round(callsPerSecond / idealCallsPerSecond, 3),
                    ratio_to_direct = Math.Round(callsPerSecond / directPerSecond, 3), cpu_ms_per_call = Math.Round(callsCpuMs, 2),
                },
                samples = byLength,
                samples_calls_ratio_to_ideal = Math.Round(totalCalls / totalSeconds / idealCallsPerSecond, 3),
                samples_ratio_to_ideal = Math.Round(totalIdealSeconds / totalSeconds, 3),
                samples_ratio_to_direct = Math.Round(totalIdealSeconds / totalSeconds / (directPerSecond / idealCallsPerSecond), 3),
                note = "bench server on 127.0.0.1 with fixed latency, in this process (its CPU is in cpu_ms_per_call); in-memory synthetic corpus; " +
                       "ideal calls/s = C/L; ideal samples/min from the calls and critical path of the samples made (see IdealSeconds); " +
                       "direct = bare chat client at C in this run; warm-up calls and a warm-up run come first, unmeasured",
            };
        }
        finally
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await db.SynthesisRuns.Where(r => runIds.Contains(r.Id)).ExecuteDeleteAsync(CancellationToken.None);
            await db.LlmCalls.Where(c => c.EndpointId == endpoint.Id).ExecuteDeleteAsync(CancellationToken.None);
            await db.ModelEndpoints.Where(e => e.Id == endpoint.Id).ExecuteDeleteAsync(CancellationToken.None);
            await db.Corpora.Where(c => c.Id == corpusRow.Id).ExecuteDeleteAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The least time any client could take for one phase's samples, so samples/min is judged
    /// against what C slots of latency L allow, not against a rate no schedule reaches. Two bounds:
    /// capacity, every call (summed over the samples, as made) holds one of the C slots for L, so
    /// ceil(calls / C) rounds of L; and the critical path, one sample's calls that must follow each
    /// other (instruction, one per summary level, response: depth + 2), so with P samples in flight
    /// at most P samples finish per critical path. Ideal samples/min = samples / that time; where the
    /// slots bind (every phase here: P = 4C samples of 3-4 steps each), that is (C/L) / calls per sample.
    /// </summary>
    public static (double Seconds, int CriticalPath) IdealSeconds(TimeSpan latency, int concurrency, long calls, int samples,
        int samplesAtOnce, IReadOnlyCollection<int> summaryDepths)
    {
        var criticalPath = summaryDepths.Count == 0 ? 0 : summaryDepths.Max() + 2;
        var capacityRounds = Math.Ceiling((double)calls / concurrency);
        var pathRounds = Math.Ceiling((double)samples / samplesAtOnce) * criticalPath;
        return (Math.Max(1, Math.Max(capacityRounds, pathRounds)) * latency.TotalSeconds, criticalPath);
    }

    private static TimeSpan CpuTime() => Process.GetCurrentProcess().TotalProcessorTime;
}
