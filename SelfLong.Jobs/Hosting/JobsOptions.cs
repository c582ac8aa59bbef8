namespace SelfLong.Jobs.Hosting;

/// <summary>Where Hangfire work runs. Bound from <c>SelfLong:Jobs</c>.</summary>
public sealed class JobsOptions
{
    public const string Section = "SelfLong:Jobs";

    /// <summary>Run a Hangfire server in this process (the embedded default).</summary>
    public bool RunServer { get; set; } = true;

    public string[] Queues { get; set; } = JobQueues.All;

    public int WorkerCount { get; set; } = 4;
}
