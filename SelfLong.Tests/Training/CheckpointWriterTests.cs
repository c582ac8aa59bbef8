using SelfLong.Jobs.Training;

namespace SelfLong.Tests.Training;

public sealed class CheckpointWriterTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("selflong-ckpt-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static void State(string dir, int step) => new TrainerState { GlobalStep = step }.Save(dir);

    [Fact]
    public void Write_NotEnoughFreeSpace_RefusesBeforeWritingAndSaysHowMuch()
    {
        var dir = Path.Combine(root, "checkpoints", "step-000004");
        var wrote = false;

        var error = Assert.Throws<IOException>(() => CheckpointWriter.Write(dir, 3_000_000_000, _ => wrote = true, _ => 1_000_000_000));

        Assert.False(wrote);
        Assert.Contains("needs about 3.0 GB and 1.0 GB are free", error.Message);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void LatestCheckpoint_PartialOrTornState_IsNeverResumedFrom()
    {
        var checkpoints = Path.Combine(root, "run", "checkpoints");
        CheckpointWriter.Write(Path.Combine(checkpoints, "step-000002"), 1, dir => { Directory.CreateDirectory(dir); State(dir, 2); }, _ => long.MaxValue);
        // A crash while writing step 4: its folder never lost the .partial suffix.
        Assert.Throws<InvalidOperationException>(() => CheckpointWriter.Write(Path.Combine(checkpoints, "step-000004"), 1, dir =>
        {
            Directory.CreateDirectory(dir);
            State(dir, 4);
            throw new InvalidOperationException("killed");
        }, _ => long.MaxValue));
        // And a folder whose trainer_state.json was cut short.
        var torn = Directory.CreateDirectory(Path.Combine(checkpoints, "step-000006")).FullName;
        File.WriteAllText(Path.Combine(torn, TrainerState.FileName), "{\"global_step\": 6, \"sta");

        Assert.Equal(Path.Combine(checkpoints, "step-000002"), ProgressiveTrainer.LatestCheckpoint(Path.Combine(root, "run")));
    }

    [Fact]
    public void LatestCheckpoint_OrdersTheTrainersFoldersByTheStepInTheirNames_AndOthersByTheirState()
    {
        var checkpoints = Path.Combine(root, "run", "checkpoints");
        foreach (var (name, step) in new[] { ("step-000009", 9), ("stage-1-step-000010", 10), ("step-000008", 8) })
            State(Directory.CreateDirectory(Path.Combine(checkpoints, name)).FullName, step);
        Directory.CreateDirectory(Path.Combine(checkpoints, "notes"));

        Assert.Equal(Path.Combine(checkpoints, "stage-1-step-000010"), ProgressiveTrainer.LatestCheckpoint(Path.Combine(root, "run")));

        // A folder named otherwise (copied in by hand) counts by the step its state records.
        State(Directory.CreateDirectory(Path.Combine(checkpoints, "copied")).FullName, 11);
        Assert.Equal(Path.Combine(checkpoints, "copied"), ProgressiveTrainer.LatestCheckpoint(Path.Combine(root, "run")));
    }

    [Fact]
    public void Prune_KeepsTheNewestPeriodicCheckpointsAndEveryStageEnd()
    {
        foreach (var name in new[] { "step-000002", "step-000004", "stage-1-step-000005", "step-000006", "step-000008" })
            Directory.CreateDirectory(Path.Combine(root, name));

        var removed = CheckpointWriter.Prune(root, keep: 2);

        Assert.Equal(["step-000002", "step-000004"], removed.Select(Path.GetFileName).Order());
        Assert.Equal(["stage-1-step-000005", "step-000006", "step-000008"], Directory.GetDirectories(root).Select(Path.GetFileName).Order());
        Assert.Empty(CheckpointWriter.Prune(root, keep: 0));
    }
}
