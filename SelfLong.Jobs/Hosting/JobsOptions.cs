using System.ComponentModel.DataAnnotations;

namespace SelfLong.Jobs.Hosting;

/// <summary>Where Hangfire work runs. Bound from <c>SelfLong:Jobs</c>.</summary>
public sealed class JobsOptions
{
    public const string Section = "SelfLong:Jobs";

    /// <summary>Run a Hangfire server in this process (the embedded default).</summary>
    public bool RunServer { get; set; } = true;

    /// <summary>Queues to serve; empty means all. (An array default would be appended to by binding.)</summary>
    public string[] Queues { get; set; } = [];

    [Range(1, 1024)]

    public int WorkerCount { get; set; } = 4;

    /// <summary>
    /// How long a job whose worker stopped answering (killed, machine lost) waits before another
    /// worker takes it. A live worker keeps its job however long it runs (sliding timeout).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "7.00:00:00")]
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
