namespace SelfLong.Web.Features.Progress;

/// <summary>
/// One page's refresh loop: waits for a signal (or the safety interval) and re-reads. Signals that
/// arrive while a refresh runs collapse into one more refresh, so a burst costs at most two reads.
/// </summary>
public sealed class ProgressFollower : IDisposable
{
    private readonly SemaphoreSlim pending = new(0, 1);
    private readonly Lock signalGate = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Func<Task> refresh;
    private readonly TimeSpan safety;
    private readonly ILogger logger;

    internal ProgressFollower(Func<Task> refresh, TimeSpan safety, ILogger logger)
    {
        this.refresh = refresh;
        this.safety = safety;
        this.logger = logger;
        _ = LoopAsync();
    }

    internal event Action? Stopped;

    internal void Signal()
    {
        if (stop.IsCancellationRequested) return;
        lock (signalGate)
        {
            if (pending.CurrentCount == 0) pending.Release();
        }
    }

    private async Task LoopAsync()
    {
        try
        {
            while (true)
            {
                await pending.WaitAsync(safety, stop.Token);
                try
                {
                    await refresh();
                }
                catch (Exception e) when (e is not OperationCanceledException && !stop.IsCancellationRequested)
                {
                    // A failed read (database briefly away) must not end live updates for the page.
                    logger.LogWarning("Refreshing a page after progress failed: {Error}", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the signal and the render.
        }
    }

    public void Dispose()
    {
        if (stop.IsCancellationRequested) return;
        stop.Cancel();
        Stopped?.Invoke();
    }
}
