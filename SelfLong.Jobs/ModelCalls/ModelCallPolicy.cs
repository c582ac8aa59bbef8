using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;

namespace SelfLong.Jobs.ModelCalls;

/// <summary>Who a call goes to: <paramref name="Key"/> names its circuit; <paramref name="Name"/> is what messages show.</summary>
public sealed record ModelCallTarget(string Key, string Name, TimeSpan AttemptTimeout)
{
    /// <summary>What the call does, for traces and metrics (gen_ai.operation.name): chat, text_completion, embeddings, tokenize.</summary>
    public string Operation { get; init; } = "chat";

    /// <summary>The endpoint as traces and metrics name it (a row's name, or a host); <see cref="Name"/> when not set.</summary>
    public string? Endpoint { get; init; }

    public string? Model { get; init; }
}

/// <summary>
/// The one resilience policy of SelfLong's model calls, built with Polly from <see cref="ModelCallOptions"/>:
/// a time limit on the whole call (<see cref="ModelCallOptions.DownLimit"/>), retries with jittered
/// exponential backoff (or the server's Retry-After), a circuit per endpoint so that a dead server
/// is not hammered by every worker thread, and a timeout per attempt. What is retried is decided by
/// <see cref="TransientModelErrors"/>; a refusal (wrong key, bad request) fails at once. Each call is
/// a span with its attempts and outcome, and is counted and timed (<see cref="ModelCallTelemetry"/>).
/// </summary>
public sealed class ModelCallPolicy(IOptions<ModelCallOptions> options, ILogger<ModelCallPolicy> logger)
{
    // Keyed by the circuit's name, not the whole target: a chat and a completion to one endpoint share its circuit.
    private readonly ResiliencePipelineRegistry<string> pipelines = new();

    /// <summary>Time for one attempt of an evaluation target or judge (SelfLong:ModelCalls:EvaluationAttemptTimeout).</summary>
    public TimeSpan EvaluationAttemptTimeout => options.Value.EvaluationAttemptTimeout;

    public async Task<T> ExecuteAsync<T>(ModelCallTarget target, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        var attempts = 0;
        var started = TimeProvider.System.GetTimestamp();
        using var telemetry = ModelCallTelemetry.Start(target);
        try
        {
            var result = await Pipeline(target).ExecuteAsync(async token =>
            {
                Interlocked.Increment(ref attempts);
                return await call(token);
            }, ct);
            telemetry?.End("answered", attempts);
            return result;
        }
        catch (Exception e)
        {
            if (Ended(target, e, attempts, started, telemetry, ct) is { } failed) throw failed;
            throw;
        }
    }

    /// <summary>
    /// The same policy for a caller that must stay synchronous (a token counter called from plain,
    /// parallel sizing code): the same retries, circuit and timeouts, the waits blocking the caller.
    /// </summary>
    public T Execute<T>(ModelCallTarget target, Func<CancellationToken, T> call, CancellationToken ct = default)
    {
        var attempts = 0;
        var started = TimeProvider.System.GetTimestamp();
        using var telemetry = ModelCallTelemetry.Start(target);
        try
        {
            var result = Pipeline(target).Execute(token =>
            {
                Interlocked.Increment(ref attempts);
                return call(token);
            }, ct);
            telemetry?.End("answered", attempts);
            return result;
        }
        catch (Exception e)
        {
            if (Ended(target, e, attempts, started, telemetry, ct) is { } failed) throw failed;
            throw;
        }
    }

    private ResiliencePipeline Pipeline(ModelCallTarget target) => pipelines.GetOrAddPipeline(target.Key, (builder, _) => Build(builder, target));

    /// <summary>
    /// Records how a call ended; returns the failure to throw in place of <paramref name="e"/>, or
    /// null when <paramref name="e"/> goes on as it is (a cancel, or a failure already told).
    /// </summary>
    private ModelCallFailedException? Ended(ModelCallTarget target, Exception e, int attempts, long started, ModelCallTelemetry.ModelCallScope? telemetry, CancellationToken ct)
    {
        if (!ct.IsCancellationRequested && e is not (ModelCallFailedException or Endpoints.EndpointUnavailableException))
        {
            var failed = Failed(target, e, attempts, started, ct);
            telemetry?.End("failed", attempts, failed);
            return failed;
        }
        telemetry?.End(ct.IsCancellationRequested ? "cancelled" : "failed", attempts, e);
        return null;
    }

    private ModelCallFailedException Failed(ModelCallTarget target, Exception e, int attempts, long started, CancellationToken ct)
    {
        var took = TimeProvider.System.GetElapsedTime(started);
        // Told apart by the timeout that fired, not the clock: the timer runs on a coarse clock and
        // may fire a few milliseconds before the stopwatch reaches the limit.
        var cause = e is TimeoutRejectedException t && attempts > 0 && t.Timeout == options.Value.DownLimit
            ? $"it stayed unavailable for {options.Value.DownLimit.TotalMinutes:0.#} min (SelfLong:ModelCalls:DownLimit)"
            : TransientModelErrors.Describe(e);
        return new ModelCallFailedException($"{target.Name} failed after {attempts} attempt(s) in {took.TotalSeconds:0.#} s: {cause}", e,
            TransientModelErrors.IsTransient(e, ct));
    }

    private void Build(ResiliencePipelineBuilder builder, ModelCallTarget target)
    {
        var o = options.Value;
        // A cancelled caller (or the down limit) is not a failure of the endpoint: never retried, never counted.
        static ValueTask<bool> Transient<TArgs>(Outcome<object> outcome, ResilienceContext context) =>
            ValueTask.FromResult(outcome.Exception is { } e && TransientModelErrors.IsTransient(e, context.CancellationToken));
        // Outermost: the whole call, every retry and wait included, ends at the down limit.
        builder.AddTimeout(o.DownLimit);
        if (o.Attempts > 1) builder.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => Transient<RetryPredicateArguments<object>>(args.Outcome, args.Context),
            MaxRetryAttempts = o.Attempts - 1,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = o.InitialBackoff,
            MaxDelay = o.MaxBackoff,
            DelayGenerator = args => ValueTask.FromResult(TransientModelErrors.RetryAfter(args.Outcome.Exception, o.MaxBackoff)),
            OnRetry = args =>
            {
                // Messages carry status and body only, never the API key.
                var error = TransientModelErrors.Describe(args.Outcome.Exception);
                logger.LogWarning("{Target} failed (attempt {Attempt} of {Attempts}): {Error}; retrying in {Delay} ms.",
                    target.Name, args.AttemptNumber + 1, o.Attempts, error, (int)args.RetryDelay.TotalMilliseconds);
                ModelCallTelemetry.Retrying(args.AttemptNumber + 1, error, args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        });
        builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = args => Transient<CircuitBreakerPredicateArguments<object>>(args.Outcome, args.Context),
                FailureRatio = o.BreakFailureRatio,
                MinimumThroughput = o.BreakMinimumThroughput,
                SamplingDuration = o.SamplingDuration,
                BreakDuration = o.BreakDuration,
                OnOpened = args =>
                {
                    logger.LogWarning("{Target} keeps failing: calls pause for {Seconds} s.", target.Name, (int)args.BreakDuration.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(target.AttemptTimeout);
    }
}

/// <summary>The model call failed for good: every attempt, or a refusal that retrying cannot change.</summary>
public sealed class ModelCallFailedException(string message, Exception inner, bool endpointDown) : Exception(message, inner)
{
    /// <summary>The endpoint was unreachable or kept failing (as opposed to refusing this one request).</summary>
    public bool EndpointDown { get; } = endpointDown;
}
