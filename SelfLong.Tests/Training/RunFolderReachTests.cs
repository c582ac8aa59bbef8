using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Runs;
using SelfLong.Data.Training;
using SelfLong.Jobs.Storage;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

/// <summary>A worker that does not see a run's folder on the shared storage root refuses the run, naming the setting to fix.</summary>
[NeedsDatabase]
public sealed class RunFolderReachTests(AppFixture app)
{
    [Fact]
    public async Task RunAsync_FolderWithoutTheCreatorsMarker_FailsNamingTheStorageRootAndKeepsTheRunsProgress()
    {
        var ct = TestContext.Current.CancellationToken;
        // What a worker with its own, unshared root sees: the recorded path is missing here.
        var elsewhere = Path.Combine(Path.GetTempPath(), $"selflong-not-shared-{Guid.NewGuid():N}", "runs", "run-1");
        var factory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        long id;
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            var run = new TrainingRun { Name = $"unreachable-{Guid.NewGuid():N}", SpecJson = "{}", OutputDirectory = elsewhere, Status = RunStatus.Queued, TotalSteps = 8, CurrentStep = 3 };
            db.TrainingRuns.Add(run);
            await db.SaveChangesAsync(ct);
            db.TrainingStepMetrics.Add(new TrainingStepMetric { RunId = run.Id, GlobalStep = 3, Loss = 2.5, LearningRate = 1e-3, TokensPerSecond = 10 });
            await db.SaveChangesAsync(ct);
            id = run.Id;
        }

        // Resumed, as after a worker died: a resume that found no checkpoint here would forget steps 1-3.
        await app.Services.GetRequiredService<TrainingJob>().RunAsync(id, resume: true, ct);

        var runs = app.Services.GetRequiredService<TrainingRunService>();
        var failed = await Poll.UntilAsync(async () => (await runs.FindAsync(id, ct))!, r => r.Status is not (RunStatus.Queued or RunStatus.Running),
            $"training run {id} refused", TimeSpan.FromMinutes(3), describe: r => r.Status.ToString());
        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Contains(StorageOptions.RootSetting, failed.Message);
        Assert.Contains(elsewhere, failed.Message);
        Assert.Equal(3, failed.CurrentStep);
        Assert.Single(await runs.MetricsAsync(id, ct: ct));
        Assert.False(Directory.Exists(elsewhere));
    }

    [Fact]
    public void OpenCheckpoint_FolderMissingOnThisWorker_NamesTheStorageRoot()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"selflong-not-shared-{Guid.NewGuid():N}", "runs", "run-3", "stage-1");

        var error = Assert.Throws<DirectoryNotFoundException>(() => new SelfLong.Jobs.Evaluation.Targets.LocalCheckpointTargets().Open(missing, 256));

        Assert.Contains(missing, error.Message);
        Assert.Contains(StorageOptions.RootSetting, error.Message);
    }

    [Fact]
    public void Unreachable_FolderTheCreatorMade_IsNullAndAnotherRunsIsNot() => InStorageRoot((root, configuration) =>
    {
        var folder = RunFolders.Create(configuration, 7);

        Assert.Equal(Path.Combine(root, "runs", "run-7"), folder);
        Assert.Null(RunFolders.Unreachable(folder, 7));
        // A folder of the same path made for another run (another deployment's root) is not this run's.
        Assert.Contains(StorageOptions.RootSetting, RunFolders.Unreachable(folder, 8));
    });

    [Fact]
    public void Create_IdWhoseFolderHoldsAnotherDatabasesRun_GivesTheRunAnEmptyFolderAndLeavesTheOtherAlone() => InStorageRoot((_, configuration) =>
    {
        // Run 3 of a database since reset, with a checkpoint a worker would resume from.
        var old = RunFolders.Create(configuration, 3);
        var state = Path.Combine(old, "checkpoints", "step-000030", "trainer_state.json");
        Directory.CreateDirectory(Path.GetDirectoryName(state)!);
        File.WriteAllText(state, "{}");

        var folder = RunFolders.Create(configuration, 3);

        Assert.NotEqual(old, folder);
        Assert.StartsWith(old + "-", folder);
        Assert.Equal([".selflong-run"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName));
        Assert.Null(ProgressiveTrainer.LatestCheckpoint(folder));
        Assert.True(File.Exists(state));
        Assert.Null(RunFolders.Unreachable(folder, 3));
    });

    /// <summary>Runs <paramref name="test"/> with a configuration whose storage root is a new temporary folder, removed after.</summary>
    private static void InStorageRoot(Action<string, IConfiguration> test)
    {
        var root = Directory.CreateTempSubdirectory("selflong-root-").FullName;
        try
        {
            test(root, new ConfigurationBuilder().AddInMemoryCollection([new(StorageOptions.RootSetting, root)]).Build());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
