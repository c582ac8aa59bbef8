namespace SelfLong.Data.Runs;

/// <summary>
/// A run worked by one Hangfire job (ingestion, training, evaluation): the job notices a cancel
/// request at its next durable point, and a queued run's job can be deleted.
/// </summary>
public interface IJobRun : IRun
{
    bool CancelRequested { get; set; }
    string? HangfireJobId { get; set; }

    /// <summary>
    /// Worked outside SelfLong (a training run handed to an external trainer): no job of SelfLong's
    /// works it, so nothing here can be asked to stop at a durable point, and no job can be lost.
    /// </summary>
    bool External => false;
}
