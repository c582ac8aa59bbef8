using System.Collections.Concurrent;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// Collects a run's sample jobs to run them in this process (the command line without a worker,
/// the benchmark). Concurrency towards the model stays bounded by the endpoint's limiter.
/// </summary>
public sealed class InProcessSampleJobQueue : ISampleJobQueue
{
    private readonly ConcurrentQueue<(long RunId, int Index)> jobs = new();

    public void Enqueue(long runId, int index) => jobs.Enqueue((runId, index));

    public async Task RunAllAsync(SynthesisExecutor executor, int parallelism, Action<int>? onSampleDone, CancellationToken ct)
    {
        var pending = new List<(long RunId, int Index)>();
        while (jobs.TryDequeue(out var job)) pending.Add(job);
        var done = 0;
        await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = ct },
            async (job, token) =>
            {
                await executor.RunSampleAsync(job.RunId, job.Index, token);
                onSampleDone?.Invoke(Interlocked.Increment(ref done));
            });
    }
}
