using SelfLong.Data.Training;

namespace SelfLong.Jobs.Training;

/// <summary>
/// Told of every optimizer step of a run the training job works, on the training thread, before the
/// trainer checks for a stop. None is registered in the app; the suite registers one that holds a
/// run at a known step, so a cancel lands mid-run whatever the machine's speed, and the fault
/// bench's workers one that holds it while a fault is injected (<see cref="Faults.TrainingStepHold"/>).
/// </summary>
public interface ITrainingStepObserver
{
    /// <param name="run">The run's row as the job loaded it when it started.</param>
    /// <param name="stop">Cancelled once the job has seen a cancel request (or the worker stops).</param>
    void Stepped(TrainingRun run, StepMetrics step, CancellationToken stop);
}
