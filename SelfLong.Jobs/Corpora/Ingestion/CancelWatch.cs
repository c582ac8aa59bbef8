namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// Turns a user's cancel request, a flag on the run's row, into a token that reading, chunking and
/// embedding honour inside a file: a long file (one 50 MB record, a million bad lines) would
/// otherwise only see the request at its next batch. The flag is read every
/// <see cref="Interval"/>; the token also fires when the worker stops.
/// </summary>
public sealed class CancelWatch : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource cancelled;
    private readonly CancellationTokenSource stop = new();
    private readonly Task polling;

    public CancelWatch(Func<CancellationToken, Task<bool>> requested, CancellationToken stopping)
    {
        cancelled = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        polling = PollAsync(requested);
    }

    /// <summary>Cancelled when the user asked to cancel or the worker is stopping.</summary>
    public CancellationToken Token => cancelled.Token;

    /// <summary>True once the user's request was seen (not merely the worker stopping).</summary>
    public bool Requested { get; private set; }

    private async Task PollAsync(Func<CancellationToken, Task<bool>> requested)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                try
                {
                    if (!await requested(stop.Token)) continue;
                }
                catch (Exception) when (!stop.IsCancellationRequested)
                {
                    // The database did not answer this time: the next tick asks again, and the
                    // pipeline still checks between batches.
                    continue;
                }
                Requested = true;
                await cancelled.CancelAsync();
                return;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposed: the run is over.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await polling;
        stop.Dispose();
        cancelled.Dispose();
    }
}
