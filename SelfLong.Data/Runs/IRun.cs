namespace SelfLong.Data.Runs;

/// <summary>
/// What every run shows and what starting, pausing, cancelling and ending it change, the same way
/// for every kind (<c>RunControl</c>). A run worked by one job is an <see cref="IJobRun"/>; a
/// synthesis run is worked by many jobs at once, one per sample, and is only this.
/// </summary>
public interface IRun
{
    long Id { get; }
    RunStatus Status { get; set; }
    string? Message { get; set; }
    /// <summary>The OpenTelemetry trace of the run's latest traced start (32 hex digits); null when telemetry was off.</summary>
    string? TraceId { get; set; }
    DateTimeOffset CreatedAt { get; }
    DateTimeOffset? StartedAt { get; set; }
    DateTimeOffset? CompletedAt { get; set; }
}
