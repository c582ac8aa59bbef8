namespace SelfLong.Tests.Infrastructure;

/// <summary>
/// The suite's one way to wait for a condition: read, check, sleep, until a deadline. A condition that
/// never holds fails the test with what was awaited and the last value seen, instead of hanging the run.
/// </summary>
public static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Reads until <paramref name="done"/> holds and returns that value; <paramref name="describe"/> says
    /// what the last value was when the deadline passes.
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string awaited,
        TimeSpan? timeout = null, TimeSpan? interval = null, Func<T, string>? describe = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Waited {limit.TotalSeconds:0.#} s for {awaited}; last seen: {(describe ?? Describe)(value)}.");
            await Task.Delay(interval ?? DefaultInterval, ct);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task UntilAsync(Func<bool> condition, string awaited, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), held => held, awaited, timeout, interval);

    /// <summary>Waits until the asynchronous <paramref name="condition"/> holds.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string awaited, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        UntilAsync(condition, held => held, awaited, timeout, interval);

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        bool held => held ? "true" : "false (the condition did not hold)",
        _ => value.ToString() ?? "",
    };
}
