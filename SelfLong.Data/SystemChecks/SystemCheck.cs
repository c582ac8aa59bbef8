using SelfLong.Data.Runs;

namespace SelfLong.Data.SystemChecks;

/// <summary>
/// One run of the worker self-test: proves a Hangfire server picked the job up and that TorchSharp
/// computes correctly on the device that server would train on.
/// </summary>
public sealed class SystemCheck
{
    public long Id { get; set; }
    public RunStatus Status { get; set; }
    public DateTimeOffset RequestedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? CompletedAt { get; set; }
    public string? HangfireJobId { get; set; }
    public string? ServerName { get; set; }
    public string? Device { get; set; }
    /// <summary>Largest absolute difference between TorchSharp's matmul and a managed reference.</summary>
    public double? MaxAbsError { get; set; }
    public string? Message { get; set; }
}
