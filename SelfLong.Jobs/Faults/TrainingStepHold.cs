using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SelfLong.Data.Training;
using SelfLong.Jobs.Training;

namespace SelfLong.Jobs.Faults;

/// <summary>
/// The fault bench's training fault, set by step: a worker started with <see cref="StepSetting"/>
/// and <see cref="FolderSetting"/> holds every run after that optimizer step, says so with a file
/// (<see cref="HeldFile"/>, holding the step) and waits for <see cref="ReleaseFile"/>. The bench
/// kills the worker or stops PostgreSQL while it holds, so the fault lands mid-run however fast
/// the machine trains (a tiny run's thirty steps take under a second on an idle machine, less than
/// one poll of the run's row). Registered only when both settings are given; no app sets them.
/// </summary>
public sealed class TrainingStepHold(int step, string folder) : ITrainingStepObserver
{
    public const string StepSetting = "SelfLong:Faults:HoldTrainingAfterStep";
    public const string FolderSetting = "SelfLong:Faults:HoldFolder";

    /// <summary>A hold nobody ends lets the run go on after this, so a bench that failed stalls no queue for good.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public static string HeldFile(string folder, long runId) => Path.Combine(folder, $"held-{runId}");

    public static string ReleaseFile(string folder, long runId) => Path.Combine(folder, $"release-{runId}");

    public static void AddWhenConfigured(HostApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<int?>(StepSetting) is not { } step || builder.Configuration[FolderSetting] is not { Length: > 0 } folder) return;
        builder.Services.AddSingleton<ITrainingStepObserver>(new TrainingStepHold(step, folder));
    }

    public void Stepped(TrainingRun run, StepMetrics metrics, CancellationToken stop)
    {
        if (metrics.GlobalStep != step) return;
        File.WriteAllText(HeldFile(folder, run.Id), step.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var deadline = DateTime.UtcNow + Limit;
        while (!File.Exists(ReleaseFile(folder, run.Id)) && DateTime.UtcNow < deadline && !stop.WaitHandle.WaitOne(50)) { }
    }
}
