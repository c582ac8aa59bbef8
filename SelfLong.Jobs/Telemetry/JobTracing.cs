using System.Diagnostics;
using System.Reflection;
using Hangfire;
using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Server;

namespace SelfLong.Jobs.Telemetry;

/// <summary>
/// A span per Hangfire job execution (source <see cref="Name"/>), whatever the job: the run-kind jobs
/// through <see cref="Runs.RunJobShell"/>, synthesis sample jobs and the rest. A job created while a
/// span was open (a request that started a run) links back to it; it does not become its child,
/// because a run outlives the request by hours. With no listener nothing is started or stored.
/// </summary>
public sealed class JobTracing : IServerFilter, IClientFilter
{
    public const string Name = "SelfLong.Jobs";

    public const string RunId = "selflong.run_id";
    public const string JobId = "hangfire.job.id";
    public const string Queue = "hangfire.queue";

    private const string ActivityKey = "SelfLong.Activity";
    private const string ParentParameter = "TraceParent";

    private static readonly ActivitySource Source = new(Name);

    public void OnCreating(CreatingContext context)
    {
        if (Activity.Current is { Recorded: true } current) context.SetJobParameter(ParentParameter, current.Id);
    }

    public void OnCreated(CreatedContext context)
    {
    }

    public void OnPerforming(PerformingContext context)
    {
        if (!Source.HasListeners()) return;
        var job = context.BackgroundJob.Job;
        var links = context.GetJobParameter<string>(ParentParameter) is { } parent && ActivityContext.TryParse(parent, null, out var creator)
            ? new[] { new ActivityLink(creator) }
            : null;
        // A root span: the worker thread has no current span of its own that a job belongs to.
        var activity = Source.StartActivity($"{job.Type.Name}.{job.Method.Name}", ActivityKind.Consumer, default(ActivityContext), links: links);
        if (activity is null) return;
        activity.SetTag(JobId, context.BackgroundJob.Id);
        activity.SetTag("hangfire.job.type", job.Type.FullName);
        activity.SetTag("hangfire.job.method", job.Method.Name);
        activity.SetTag(Queue, job.Queue ?? job.Method.GetCustomAttribute<QueueAttribute>()?.Queue ?? "default");
        if (RunIdOf(job) is { } runId) activity.SetTag(RunId, runId);
        context.Items[ActivityKey] = activity;
    }

    public void OnPerformed(PerformedContext context)
    {
        if (!context.Items.TryGetValue(ActivityKey, out var item) || item is not Activity activity) return;
        if (context.Exception is { } e && !context.ExceptionHandled)
        {
            // Hangfire wraps the job's own exception; the span says what the job threw.
            var thrown = e is JobPerformanceException { InnerException: { } inner } ? inner : e;
            activity.SetStatus(ActivityStatusCode.Error, thrown.Message);
            activity.SetTag("error.type", thrown.GetType().FullName);
        }
        activity.Dispose();
    }

    /// <summary>The span of a run a command-line verb works in its own process, or null when nothing listens.</summary>
    public static Activity? StartRunHere(string runKind, long runId)
    {
        var activity = Source.StartActivity($"{runKind} here", ActivityKind.Internal);
        activity?.SetTag(RunId, runId);
        return activity;
    }

    /// <summary>
    /// The span of one step of a run (an ingestion's COPY, index builds, tuning), a child of the
    /// current span; null when nothing listens. Named "{kind} {step}".
    /// </summary>
    public static Activity? StartStep(string kind, string step, long? runId)
    {
        var activity = Source.StartActivity($"{kind} {step}", ActivityKind.Internal);
        // Work that is not a run's (the bench's large corpus) has no run id to tag.
        if (runId is { } id) activity?.SetTag(RunId, id);
        return activity;
    }

    /// <summary>Every run-kind and sample job takes its run's id as the argument named runId.</summary>
    private static long? RunIdOf(Job job)
    {
        var parameters = job.Method.GetParameters();
        for (var i = 0; i < parameters.Length && i < job.Args.Count; i++)
            if (parameters[i].Name == "runId" && job.Args[i] is long id) return id;
        return null;
    }
}
