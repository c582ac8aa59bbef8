using System.Collections.Concurrent;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// Collects a run's sample jobs to run them in this process (the command line without a worker,
/// the benchmark). Concurrency towards the model stays bounded by the endpoint's limiter.
/// </summary>
public sealed class InProcessSampleJobQueue : ISampleJobQueue
{
    private readonly ConcurrentQueue<(long RunId, int Index)> jobs = new();
    private readonly ConcurrentQueue<(long RunId, int Index, DateTimeOffset Due)> later = new();

    public void Enqueue(long runId, int index) => jobs.Enqueue((runId, index));

    public string? Owner => Runs.RunHere.Marker;

    public void Schedule(long runId, int index, TimeSpan delay) => later.Enqueue((runId, index, DateTimeOffset.UtcNow + delay));

    /// <summary>Runs every job, and each retry once it is due, until none is left.</summary>
    public async Task RunAllAsync(SynthesisExecutor executor, int parallelism, Action<int>? onSampleDone, CancellationToken ct)
    {
        var done = 0;
        while (true)
        {
            var pending = new List<(long RunId, int Index)>();
            while (jobs.TryDequeue(out var job)) pending.Add(job);
            if (pending.Count == 0)
            {
                if (later.IsEmpty) return;
                var waiting = new List<(long RunId, int Index, DateTimeOffset Due)>();
                while (later.TryDequeue(out var retry)) waiting.Add(retry);
                var wait = waiting.Min(r => r.Due) - DateTimeOffset.UtcNow;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
                var now = DateTimeOffset.UtcNow;
                foreach (var retry in waiting)
                {
                    if (retry.Due <= now) jobs.Enqueue((retry.RunId, retry.Index));
                    else later.Enqueue(retry);
                }
                continue;
            }
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = ct },
                async (job, token) =>
                {
                    await executor.RunSampleAsync(job.RunId, job.Index, token, this);
                    onSampleDone?.Invoke(Interlocked.Increment(ref done));
                });
        }
    }
}
