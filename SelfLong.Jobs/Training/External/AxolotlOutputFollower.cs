using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Runs;
using SelfLong.Data.Training;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Runs;

namespace SelfLong.Jobs.Training.External;

/// <summary>What one pass over an export's output folders added to the run.</summary>
public sealed record FollowResult(long RunId, int MetricsAdded, int CheckpointsAdded, int StagesFinished, int Stages, int LastStep);

/// <summary>
/// Follows the output folders of an exported run (Hugging Face Trainer's layout, which Axolotl
/// writes): the loss in <c>trainer_state.json</c>'s <c>log_history</c> becomes the run's step
/// metrics, each complete <c>checkpoint-N</c> folder and each stage's final model become the run's
/// checkpoints, ready to evaluate. Steps are numbered across stages as SelfLong numbers them, so
/// the run page reads the same as for a run trained here. A pass adds only what is new. A run
/// created external (<see cref="TrainingRun.External"/>) moves through the one status vocabulary as
/// its trainer writes: Running from its first log or saved model, Succeeded at its last stage's end.
/// </summary>
public sealed class AxolotlOutputFollower(IDbContextFactory<SelfLongDbContext> dbFactory)
{
    public const string CheckpointPrefix = "checkpoint-";
    private const string TrainerStateFile = "trainer_state.json";

    public async Task<FollowResult> ImportAsync(long runId, string exportFolder, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.FirstOrDefaultAsync(r => r.Id == runId, ct)
            ?? throw new KeyNotFoundException($"Training run #{runId} does not exist.");
        var spec = TrainingRunSpec.FromJson(run.SpecJson);
        var knownSteps = (await db.TrainingStepMetrics.Where(m => m.RunId == runId).Select(m => m.GlobalStep).ToListAsync(ct)).ToHashSet();
        var knownPaths = (await db.TrainingCheckpoints.Where(c => c.RunId == runId).Select(c => c.Path).ToListAsync(ct)).ToHashSet();
        int metrics = 0, checkpoints = 0, finished = 0, lastStep = 0, offset = 0;
        for (var i = 0; i < spec.Stages.Count; offset += spec.Stages[i].Steps, i++)
        {
            var output = Path.Combine(exportFolder, AxolotlExport.StageFolder(i), AxolotlExport.OutputFolder);
            if (!Directory.Exists(output)) break;
            foreach (var entry in NewestLog(output))
            {
                var step = offset + entry.Step;
                lastStep = Math.Max(lastStep, step);
                if (!knownSteps.Add(step)) continue;
                db.TrainingStepMetrics.Add(new TrainingStepMetric
                {
                    RunId = runId, GlobalStep = step, Stage = i, Loss = entry.Loss, LearningRate = entry.LearningRate, GradNorm = entry.GradNorm,
                });
                metrics++;
            }
            foreach (var (folder, step, stageEnd) in SavedModels(output, spec.Stages[i].Steps))
            {
                if (!knownPaths.Add(folder)) continue;
                db.TrainingCheckpoints.Add(new TrainingCheckpoint
                {
                    RunId = runId, Path = folder, GlobalStep = offset + step, Stage = i, StageEnd = stageEnd,
                    RopeTheta = CheckpointFolder.LoadConfig(folder).RopeTheta, MaxLength = spec.Stages[i].MaxLength,
                });
                checkpoints++;
                if (stageEnd) finished++;
            }
            if (IsComplete(output)) run.CurrentStage = Math.Min(i + 1, spec.Stages.Count - 1);
            else run.CurrentStage = i;
        }
        finished = await db.TrainingCheckpoints.CountAsync(c => c.RunId == runId && c.StageEnd, ct) + finished;
        run.CurrentStep = Math.Max(run.CurrentStep, lastStep);
        run.TotalSteps = spec.Stages.Sum(s => s.Steps);
        var following = $"Following Axolotl's output: {finished} of {spec.Stages.Count} stage(s) finished.";
        if (!run.External) run.Message = following;
        else if (run.Status is RunStatus.Queued or RunStatus.Running)
        {
            // A cancelled external run stays cancelled: a pass asked for by hand still imports, but only a resume follows it again.
            if (run.Status == RunStatus.Queued && (lastStep > 0 || knownPaths.Count > 0)) RunControl.Start(run);
            if (run.Status == RunStatus.Running && finished >= spec.Stages.Count)
                RunControl.End(run, RunStatus.Succeeded, $"Trained by Axolotl: every stage's final model is imported ({spec.Stages.Count} stage(s)).");
            else run.Message = following;
        }
        await db.SaveChangesAsync(ct);
        return new FollowResult(runId, metrics, checkpoints, finished, spec.Stages.Count, run.CurrentStep);
    }

    private sealed record LogEntry(int Step, double Loss, double LearningRate, double GradNorm);

    /// <summary>The longest log_history among the stage's trainer_state.json files (each checkpoint keeps the log so far).</summary>
    private static IReadOnlyList<LogEntry> NewestLog(string output)
    {
        var states = Directory.EnumerateDirectories(output, CheckpointPrefix + "*").Append(output)
            .Select(d => Path.Combine(d, TrainerStateFile)).Where(File.Exists);
        return states.Select(ReadLog).OrderByDescending(l => l.Count).FirstOrDefault() ?? [];
    }

    private static IReadOnlyList<LogEntry> ReadLog(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (!doc.RootElement.TryGetProperty("log_history", out var history)) return [];
            return [.. history.EnumerateArray()
                .Where(e => e.TryGetProperty("loss", out _) && e.TryGetProperty("step", out _))
                .Select(e => new LogEntry(e.GetProperty("step").GetInt32(), e.GetProperty("loss").GetDouble(),
                    Number(e, "learning_rate"), Number(e, "grad_norm")))];
        }
        catch (JsonException)
        {
            return []; // being written: read again on the next pass
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static double Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;

    /// <summary>Complete checkpoint-N folders (trainer_state.json is written after the weights) and the stage's final model.</summary>
    private static IEnumerable<(string Folder, int Step, bool StageEnd)> SavedModels(string output, int stageSteps)
    {
        foreach (var dir in Directory.EnumerateDirectories(output, CheckpointPrefix + "*"))
            if (int.TryParse(Path.GetFileName(dir)[CheckpointPrefix.Length..], out var step)
                && File.Exists(Path.Combine(dir, TrainerStateFile)) && HasWeights(dir))
                yield return (Path.GetFullPath(dir), step, false);
        if (IsComplete(output)) yield return (Path.GetFullPath(output), stageSteps, true);
    }

    /// <summary>The final model is saved into the output folder itself when the stage ends.</summary>
    private static bool IsComplete(string output) => HasWeights(output);

    /// <summary>config.json plus either one safetensors file or an index whose shards are all there.</summary>
    private static bool HasWeights(string dir)
    {
        if (!File.Exists(Path.Combine(dir, CheckpointFolder.ConfigFile))) return false;
        if (File.Exists(Path.Combine(dir, "model.safetensors"))) return true;
        var index = Path.Combine(dir, "model.safetensors.index.json");
        if (!File.Exists(index)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(index));
            return doc.RootElement.GetProperty("weight_map").EnumerateObject()
                .Select(p => p.Value.GetString()!).Distinct().All(f => File.Exists(Path.Combine(dir, f)));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or IOException)
        {
            return false;
        }
    }
}
