namespace SelfLong.Data.Runs;

/// <summary>
/// A run worked by one Hangfire job (ingestion, training, evaluation): what cancelling, resuming and
/// the job's lifecycle read and write, the same way for every kind.
/// </summary>
public interface IJobRun
{
    long Id { get; }
    RunStatus Status { get; set; }
    bool CancelRequested { get; set; }
    string? Message { get; set; }
    string? HangfireJobId { get; set; }
    /// <summary>The OpenTelemetry trace of the run's latest traced execution (32 hex digits); null when telemetry was off.</summary>
    string? TraceId { get; set; }
    DateTimeOffset CreatedAt { get; }
    DateTimeOffset? StartedAt { get; set; }
    DateTimeOffset? CompletedAt { get; set; }
}
