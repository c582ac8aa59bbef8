using System.Collections.Concurrent;
using SelfLong.Data.Training;
using SelfLong.Jobs.Training;

namespace SelfLong.Tests.Infrastructure;

/// <summary>
/// Holds a training run after a chosen step until its job has seen a stop, as <see cref="OpenAiTestServer.HoldAfter"/>
/// holds model calls: a cancel then lands mid-run on any machine, never after the run has finished.
/// Runs are picked by name, known before the run exists, so no step slips by before the hold is set.
/// </summary>
public sealed class TrainingStepGate : ITrainingStepObserver
{
    /// <summary>A hold the test never ends lets the run go on after this, so a failing test does not stall the training queue.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    private readonly ConcurrentDictionary<string, Hold> holds = new(StringComparer.Ordinal);

    /// <summary>The run named <paramref name="runName"/> waits after optimizer step <paramref name="globalStep"/>.</summary>
    public Hold HoldAfter(string runName, int globalStep) => holds[runName] = new Hold(globalStep);

    public void Stepped(TrainingRun run, StepMetrics step, CancellationToken stop)
    {
        if (!holds.TryGetValue(run.Name, out var hold) || step.GlobalStep != hold.Step) return;
        hold.Reached = true;
        stop.WaitHandle.WaitOne(Limit);
    }

    public sealed class Hold(int step)
    {
        public int Step { get; } = step;

        private volatile bool reached;

        /// <summary>Whether the run has finished the step and is waiting.</summary>
        public bool Reached { get => reached; internal set => reached = value; }
    }
}
