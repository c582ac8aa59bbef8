using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Parquet.Serialization;
using SelfLong.Data.Endpoints;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Runs;
using SelfLong.Jobs.Synthesis;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Synthesis;

/// <summary>A synthesis run's life: resumed after a kill, paused, cancelled, traced, validated, exported.</summary>
[NeedsDatabase]
public sealed partial class SynthesisRunTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly SynthesisSettings SmallSettings = new()
    {
        MinTargetTokens = 600, MaxTargetTokens = 1_500, TopK = 4, ChunkTokens = 256, SummaryTokens = 64, ResponseTokens = 64,
        LongOutputFraction = 0.25, LongOutputMinTokens = 100, LongOutputMaxTokens = 5_000,
    };

    private static async Task<SynthesisRun> CreateRunAsync(SynthesisTestHost host, ModelEndpoint endpoint, int samples, SynthesisSettings? settings = null)
    {
        var (run, errors) = await host.Get<SynthesisRunService>().CreateAsync(
            new NewSynthesisRun("run", HandMadeCorpusRetriever.CorpusId, endpoint.Id, samples, 5, settings ?? SmallSettings), Ct);
        Assert.Empty(errors);
        return run!;
    }

    private static async Task<List<Sample>> SamplesAsync(SynthesisTestHost host, long runId)
    {
        await using var db = host.Database.CreateDbContext();
        return await db.SynthesisSamples.AsNoTracking().Where(s => s.RunId == runId).OrderBy(s => s.Index).ToListAsync(Ct);
    }

    [Fact]
    public async Task Run_KilledMidwayAndResumed_EndsWithExactlyNSamplesAndReusesCalls()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.AddChatEndpointAsync(server, maxConcurrency: 4);
        var runs = host.Get<SynthesisRunService>();
        var run = await CreateRunAsync(host, endpoint, 8);
        // Twelve calls are answered (cached), then the server holds the rest: the kill always lands
        // while calls are in flight, and the interrupted samples have answered calls to reuse.
        server.HoldAfter(12);
        Assert.True(await runs.StartAsync(run.Id, Ct));
        var firstJobs = host.Queue.Drain();
        Assert.Equal(8, firstJobs.Count);

        // The "worker" dies once some calls have been answered: every job in flight is cancelled.
        using var kill = new CancellationTokenSource();
        var executor = host.Get<SynthesisExecutor>();
        var watcher = Task.Run(async () =>
        {
            await Poll.UntilAsync(() => server.Held > 0, "a call held after twelve answers", interval: TimeSpan.FromMilliseconds(5));
            await kill.CancelAsync();
        }, Ct);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Parallel.ForEachAsync(firstJobs,
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = kill.Token },
            async (job, token) => await executor.RunSampleAsync(job.RunId, job.Index, token)));
        await watcher;
        var beforeResume = await SamplesAsync(host, run.Id);
        Assert.True(beforeResume.Count < 8);
        var requestsBeforeResume = server.RequestCount;
        server.Release();

        Assert.True(await runs.StartAsync(run.Id, Ct));
        Assert.Equal(8 - beforeResume.Count, host.Queue.Jobs.Count);
        await host.RunQueuedAsync(Ct);
        // A job the dead worker held is run again later by the scheduler: it must change nothing.
        await Task.WhenAll(firstJobs.Select(job => executor.RunSampleAsync(job.RunId, job.Index, Ct)));

        var samples = await SamplesAsync(host, run.Id);
        Assert.Equal(Enumerable.Range(0, 8), samples.Select(s => s.Index));
        Assert.All(samples, s => Assert.Equal(SampleStatus.Completed, s.Status));
        var finished = (await runs.FindAsync(run.Id, Ct))!;
        Assert.Equal(RunStatus.Succeeded, finished.Status);
        Assert.True(finished.CacheHits > 0, "calls answered before the kill come from the cache");
        // Every distinct call was answered and stored once; only calls cut off by the kill went out twice.
        var distinct = server.Requests.Select(r => r.ToJsonString()).Distinct().Count();
        Assert.Equal(distinct, await CountLlmCallsAsync(host));
        Assert.InRange(server.RequestCount - distinct, 0, endpoint.MaxConcurrency);
        Assert.True(server.RequestCount > requestsBeforeResume);
    }

    private static async Task<int> CountLlmCallsAsync(SynthesisTestHost host)
    {
        await using var db = host.Database.CreateDbContext();
        return await db.LlmCalls.CountAsync(Ct);
    }

    [Fact]
    public async Task RunSampleAsync_SameIndexTwiceAtOnce_StoresOneSample()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.Get<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        var run = await CreateRunAsync(host, endpoint, 3);
        await host.Get<SynthesisRunService>().StartAsync(run.Id, Ct);
        host.Queue.Drain();
        var executor = host.Get<SynthesisExecutor>();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => executor.RunSampleAsync(run.Id, 1, Ct)));

        Assert.Equal([1], (await SamplesAsync(host, run.Id)).Select(s => s.Index));
    }

    [Fact]
    public async Task PauseResumeCancel_QueuedJobsWaitWhilePausedAndStopWhenCancelled()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.Get<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        var runs = host.Get<SynthesisRunService>();
        var run = await CreateRunAsync(host, endpoint, 4);
        await runs.StartAsync(run.Id, Ct);

        Assert.True(await runs.PauseAsync(run.Id, Ct));
        await host.RunQueuedAsync(Ct);
        Assert.Empty(await SamplesAsync(host, run.Id));

        Assert.True(await runs.StartAsync(run.Id, Ct));
        var jobs = host.Queue.Drain();
        Assert.Equal(4, jobs.Count);
        var executor = host.Get<SynthesisExecutor>();
        await executor.RunSampleAsync(run.Id, jobs[0].Index, Ct);
        Assert.True(await runs.CancelAsync(run.Id, Ct));
        foreach (var job in jobs.Skip(1)) await executor.RunSampleAsync(job.RunId, job.Index, Ct);

        Assert.Single(await SamplesAsync(host, run.Id));
        var cancelled = (await runs.FindAsync(run.Id, Ct))!;
        Assert.Equal(RunStatus.Cancelled, cancelled.Status);
        // Ended as every run kind ends: its message and the time it ended.
        Assert.Equal(RunControl.CancelledByUser, cancelled.Error);
        Assert.NotNull(cancelled.CompletedAt);
        Assert.False(await runs.StartAsync(run.Id, Ct));
        Assert.False(await runs.PauseAsync(run.Id, Ct));
    }

    [Fact]
    public async Task Start_UnderATracedRequest_TheRunKeepsThatTraceForItsPage()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.Get<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        var run = await CreateRunAsync(host, endpoint, 1);

        // The span of the request that starts the run (as ASP.NET Core's would be); each sample's job links to it.
        using (var request = new Activity("POST /api/synthesis/runs") { ActivityTraceFlags = ActivityTraceFlags.Recorded }.Start())
        {
            await host.Get<SynthesisRunService>().StartAsync(run.Id, Ct);
            Assert.Equal(request.TraceId.ToHexString(), (await host.Get<SynthesisRunService>().FindAsync(run.Id, Ct))!.TraceId);
        }
        // Untraced, a later resume keeps the last traced start.
        var traced = (await host.Get<SynthesisRunService>().FindAsync(run.Id, Ct))!.TraceId;
        await host.Get<SynthesisRunService>().PauseAsync(run.Id, Ct);
        await host.Get<SynthesisRunService>().StartAsync(run.Id, Ct);
        Assert.Equal(traced, (await host.Get<SynthesisRunService>().FindAsync(run.Id, Ct))!.TraceId);
    }

    [Fact]
    public async Task Cancel_QueuedRun_EndsAsCancelledBeforeItStarted()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.Get<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        var runs = host.Get<SynthesisRunService>();
        var run = await CreateRunAsync(host, endpoint, 2);

        Assert.True(await runs.CancelAsync(run.Id, Ct));

        var cancelled = (await runs.FindAsync(run.Id, Ct))!;
        Assert.Equal((RunStatus.Cancelled, RunControl.CancelledBeforeStart), (cancelled.Status, cancelled.Error));
        Assert.Null(cancelled.StartedAt);
    }

    [Fact]
    public async Task StatusMove_RunCompletedSinceItWasRead_IsRefusedAndTheRunStaysSucceeded()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.Get<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        var run = await CreateRunAsync(host, endpoint, 1);
        await host.Get<SynthesisRunService>().StartAsync(run.Id, Ct);

        // A person's cancel reads the run while it is running...
        await using var person = host.Database.CreateDbContext();
        var seen = await person.SynthesisRuns.SingleAsync(r => r.Id == run.Id, Ct);
        Assert.True(RunControl.RequestCancel(seen, jobs: null));
        // ...and the last sample completes it before the cancel is saved.
        await host.RunQueuedAsync(Ct);
        Assert.Equal(RunStatus.Succeeded, (await host.Get<SynthesisRunService>().FindAsync(run.Id, Ct))!.Status);

        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => person.SaveChangesAsync(Ct));
        Assert.Equal(RunStatus.Succeeded, (await host.Get<SynthesisRunService>().FindAsync(run.Id, Ct))!.Status);
    }

    [Fact]
    public async Task CreateAsync_BadSettings_ClearErrors()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.Get<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        var runs = host.Get<SynthesisRunService>();

        var (none, errors) = await runs.CreateAsync(new NewSynthesisRun("r", 1, endpoint.Id + 1000, 5), Ct);
        var (_, settingErrors) = await runs.CreateAsync(new NewSynthesisRun("r", 1, endpoint.Id, 0,
            Settings: new SynthesisSettings { ChunkTokens = 100, SummaryTokens = 80 }, Templates: PromptTemplates.Default with { Summarize = "no placeholders" }), Ct);

        Assert.Null(none);
        Assert.Contains("Choose a model endpoint", errors["endpointId"][0]);
        Assert.Contains("sampleCount", settingErrors.Keys);
        Assert.Contains("summaryTokens", settingErrors.Keys);
        Assert.Contains("{{instruction}}", settingErrors[PromptTemplates.SummarizeName][0]);
    }

    [Fact]
    public async Task Run_ByteTargetTokenizer_CountsAndLengthsAreInBytes()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.Get<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        var settings = SmallSettings with { TargetTokenizer = "bytes", MinTargetTokens = 2_000, MaxTargetTokens = 4_000, LongOutputMinTokens = 400 };
        var run = await CreateRunAsync(host, endpoint, 6, settings);
        Assert.Equal("bytes", run.Tokenizer);
        Assert.True(await host.Get<SynthesisRunService>().StartAsync(run.Id, Ct));

        await host.RunQueuedAsync(Ct);

        var samples = await SamplesAsync(host, run.Id);
        Assert.All(samples, s => Assert.True(s.Status == SampleStatus.Completed, s.Error));
        Assert.All(samples, s => Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(s.Input!), s.InputTokens));
        Assert.All(samples, s => Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(s.Target!), s.TargetTokens));
        // Long-input samples reach their target length in bytes; long-output documents fall in the byte range.
        Assert.All(samples.Where(s => s.Kind == SampleKind.LongInput), s => Assert.True(s.InputTokens >= s.TargetLength, $"{s.InputTokens} < {s.TargetLength}"));
        Assert.All(samples.Where(s => s.Kind == SampleKind.LongOutput), s => Assert.InRange(s.TargetTokens, 400, 5_000));
    }

    [Fact]
    public async Task CreateAsync_TargetTokenizerFolderMissing_ErrorOnThatField()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.Get<ModelEndpointService>().EnsureExtractiveAsync(Ct);

        var (run, errors) = await host.Get<SynthesisRunService>().CreateAsync(new NewSynthesisRun("r", HandMadeCorpusRetriever.CorpusId, endpoint.Id, 2,
            Settings: new SynthesisSettings { TargetTokenizer = "/models/missing-llama" }), Ct);

        Assert.Null(run);
        Assert.Equal(SelfLong.Jobs.Storage.ServerPaths.Refusal(SelfLong.Jobs.Storage.ServerPathKind.Folder), Assert.Single(errors["targetTokenizer"]));
    }

    [Fact]
    public async Task Exports_ExtractiveRun_ParseAndMatchAcceptedSamples()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.Get<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        var runs = host.Get<SynthesisRunService>();
        var run = await CreateRunAsync(host, endpoint, 6);
        await runs.StartAsync(run.Id, Ct);
        await host.RunQueuedAsync(Ct);
        var stored = await SamplesAsync(host, run.Id);
        Assert.Equal(6, stored.Count);
        Assert.Contains(stored, s => s.Kind == SampleKind.LongOutput);
        Assert.True(await runs.SetRejectedAsync(stored[2].Id, true, Ct));
        var accepted = stored.Where(s => s.Index != 2).ToList();
        var exporter = host.Get<SynthesisExporter>();

        using var jsonl = new MemoryStream();
        await exporter.WriteJsonlAsync(run.Id, jsonl, Ct);
        var lines = System.Text.Encoding.UTF8.GetString(jsonl.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(accepted.Count, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            var messages = line.RootElement.GetProperty("messages");
            Assert.Equal(["system", "user", "assistant"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
            Assert.Equal(accepted[i].Input, messages[1].GetProperty("content").GetString());
            Assert.Equal(accepted[i].Target, messages[2].GetProperty("content").GetString());
            Assert.Equal(ExtractiveSynthesisModel.GeneratorLabel, line.RootElement.GetProperty("generator").GetString());
        }

        using var parquet = new MemoryStream();
        await exporter.WriteParquetAsync(run.Id, parquet, Ct);
        parquet.Position = 0;
        var rows = (await ParquetSerializer.DeserializeAsync<ExportedSample>(parquet, cancellationToken: Ct)).Data;
        Assert.Equal(accepted.Select(s => (s.Index, s.Input, s.Target, s.InputTokens)), rows.Select(r => (r.Index, r.Input, r.Target, r.InputTokens)));

        var card = await exporter.DatasetCardAsync(run.Id, Ct);
        Assert.Contains($"Exported samples: {accepted.Count} of 6", card);
        Assert.Contains("Rejected by review: 1", card);
        Assert.Contains("without any language model", card);
        Assert.Contains(PromptTemplates.Default.Summarize, card);

        var forTraining = await host.Get<SynthesisSampleReader>().ReadAcceptedAsync(run.Id, Ct).ToListAsync(Ct);
        Assert.Equal(accepted.Select(s => (s.Input, s.Target, s.Kind == SampleKind.LongInput)), forTraining.Select(t => (t.Input, t.Target, t.IsLong)));
    }
}
