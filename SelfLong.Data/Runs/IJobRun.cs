namespace SelfLong.Data.Runs;

/// <summary>
/// A run worked by one Hangfire job (ingestion, training, evaluation): the job notices a cancel
/// request at its next durable point, and a queued run's job can be deleted.
/// </summary>
public interface IJobRun : IRun
{
    bool CancelRequested { get; set; }
    string? HangfireJobId { get; set; }
}
