using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SelfLong.Jobs.ModelCalls;

/// <summary>
/// Traces and metrics of every model call, in one place: <see cref="ModelCallPolicy"/> opens a span
/// per call and counts its attempts, <see cref="Endpoints.LlmClient"/> adds tokens and cache hits.
/// Span and attribute names follow OpenTelemetry's generative-AI conventions where they have one
/// (<c>gen_ai.operation.name</c>, <c>gen_ai.request.model</c>, <c>gen_ai.usage.*</c>). With no
/// listener (telemetry off) nothing is allocated: <see cref="Start"/> returns null.
/// </summary>
public static class ModelCallTelemetry
{
    public const string Name = "SelfLong.ModelCalls";

    public const string Operation = "gen_ai.operation.name";
    public const string Model = "gen_ai.request.model";
    public const string Endpoint = "selflong.endpoint";
    public const string Outcome = "selflong.model_call.outcome";
    public const string CacheHit = "selflong.model_call.cache_hit";
    public const string Attempts = "selflong.model_call.attempts";

    private static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Calls = Meter.CreateCounter<long>("selflong.model_call.calls", "{call}",
        "Model calls by endpoint, model, operation and outcome (answered, failed, cancelled, cached).");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("selflong.model_call.duration", "s",
        "Time of a sent model call, every attempt and backoff wait included.");
    private static readonly Counter<long> Retries = Meter.CreateCounter<long>("selflong.model_call.retries", "{attempt}",
        "Attempts beyond the first that the model-call policy made.");
    private static readonly Counter<long> CacheHits = Meter.CreateCounter<long>("selflong.model_call.cache_hits", "{call}",
        "Model calls answered from the call cache, without a request.");
    private static readonly Counter<long> PromptTokens = Meter.CreateCounter<long>("selflong.model_call.prompt_tokens", "{token}",
        "Prompt tokens the servers reported for answered attempts.");
    private static readonly Counter<long> CompletionTokens = Meter.CreateCounter<long>("selflong.model_call.completion_tokens", "{token}",
        "Completion tokens the servers reported for answered attempts.");

    /// <summary>A span and the call's measurements, or null when nothing listens.</summary>
    public static ModelCallScope? Start(ModelCallTarget target)
    {
        if (!Source.HasListeners() && !Calls.Enabled && !Duration.Enabled && !Retries.Enabled) return null;
        var activity = Source.StartActivity($"{target.Operation} {target.Model}".TrimEnd(), ActivityKind.Client);
        return new ModelCallScope(activity, Tags(target));
    }

    /// <summary>A call the cache answered: a span of its own (so a trace shows it was not sent) and a hit counted.</summary>
    public static void CachedAnswer(ModelCallTarget target)
    {
        var tags = Tags(target);
        CacheHits.Add(1, tags);
        tags.Add(Outcome, "cached");
        Calls.Add(1, tags);
        using var activity = Source.StartActivity($"{target.Operation} {target.Model}".TrimEnd(), ActivityKind.Client);
        if (activity is null) return;
        foreach (var tag in tags) activity.SetTag(tag.Key, tag.Value);
        activity.SetTag(CacheHit, true);
    }

    /// <summary>The tokens one answered attempt reported, on its call's span (the current one) and its counters.</summary>
    public static void Answered(ModelCallTarget target, int promptTokens, int completionTokens)
    {
        if (PromptTokens.Enabled || CompletionTokens.Enabled)
        {
            var tags = Tags(target);
            PromptTokens.Add(promptTokens, tags);
            CompletionTokens.Add(completionTokens, tags);
        }
        if (Activity.Current is { Source.Name: Name } call)
        {
            call.SetTag("gen_ai.usage.input_tokens", promptTokens);
            call.SetTag("gen_ai.usage.output_tokens", completionTokens);
        }
    }

    /// <summary>A retry of the current call, as an event on its span (the count is taken from its attempts at the end).</summary>
    public static void Retrying(int attempt, string error, TimeSpan delay)
    {
        if (Activity.Current is not { Source.Name: Name } call) return;
        call.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection
        {
            ["selflong.model_call.attempt"] = attempt,
            ["error.message"] = error,
            ["selflong.model_call.retry_delay_ms"] = (int)delay.TotalMilliseconds,
        }));
    }

    private static TagList Tags(ModelCallTarget target) => new()
    {
        { Operation, target.Operation },
        { Model, target.Model ?? "" },
        { Endpoint, target.Endpoint ?? target.Name },
    };

    /// <summary>One sent call: ended by <see cref="End"/> with its outcome, or as failed when disposed without one.</summary>
    public sealed class ModelCallScope(Activity? activity, TagList tags) : IDisposable
    {
        private readonly long started = Stopwatch.GetTimestamp();
        private bool ended;

        public void End(string outcome, int attempts, Exception? error = null)
        {
            if (ended) return;
            ended = true;
            var measured = tags;
            if (attempts > 1) Retries.Add(attempts - 1, measured);
            measured.Add(Outcome, outcome);
            Calls.Add(1, measured);
            Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, measured);
            if (activity is null) return;
            foreach (var tag in measured) activity.SetTag(tag.Key, tag.Value);
            activity.SetTag(CacheHit, false);
            activity.SetTag(Attempts, attempts);
            if (error is not null) activity.SetStatus(ActivityStatusCode.Error, error.Message);
            activity.Dispose();
        }

        public void Dispose() => End("failed", 0);
    }
}
