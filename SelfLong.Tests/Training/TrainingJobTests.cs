using SelfLong.Data.Training;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Training;

[NeedsDatabase]
public sealed class TrainingJobTests(AppFixture app) : IDisposable
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("selflong-data-").FullName;
    private readonly List<string> outputs = [];

    public void Dispose()
    {
        Directory.Delete(dataDir, recursive: true);
        foreach (var dir in outputs.Where(Directory.Exists)) Directory.Delete(dir, recursive: true);
    }

    private string DataFile()
    {
        var path = Path.Combine(dataDir, "patterns.jsonl");
        File.WriteAllLines(path, TrainingTestData.Patterns().Select(s => System.Text.Json.JsonSerializer.Serialize(new { text = s.Response })));
        return path;
    }

    private static Task<TrainingRun> WaitAsync(TrainingRunService runs, long id, Func<TrainingRun, bool> done) =>
        Poll.UntilAsync(async () => (await runs.FindAsync(id, TestContext.Current.CancellationToken))!, done, $"training run {id}",
            TimeSpan.FromSeconds(180), TimeSpan.FromMilliseconds(200), run => $"{run.Status} at step {run.CurrentStep}");

    [Fact]
    public async Task RunAsync_TwoStageTinyRun_StoresStepMetricsAndStageCheckpoints()
    {
        var runs = app.Services.GetRequiredService<TrainingRunService>();
        var spec = new TrainingRunSpec
        {
            Data = [new DataFileSpec(DataFile())],
            Stages = [new TrainingStage(16, 100, 2, 1e-3), new TrainingStage(32, 400, 2, 1e-3)],
            Options = new TrainingOptions { BatchSize = 2, WarmupSteps = 1 },
        };
        var run = await runs.CreateAsync($"two-stage-{Guid.NewGuid():N}", spec, TestContext.Current.CancellationToken);
        outputs.Add(run.OutputDirectory);

        run = await WaitAsync(runs, run.Id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed);

        Assert.True(run.Status == RunStatus.Succeeded, run.Message);
        var metrics = await runs.MetricsAsync(run.Id, ct: TestContext.Current.CancellationToken);
        Assert.Equal([1, 2, 3, 4], metrics.Select(m => m.GlobalStep));
        Assert.Equal([0, 0, 1, 1], metrics.Select(m => m.Stage));
        Assert.All(metrics, m => Assert.True(m.Loss > 0 && m.TokensPerSecond > 0 && m.PeakMemoryBytes > 0));
        Assert.Equal([(100.0, 16), (400.0, 32)], run.Checkpoints.Select(c => (c.RopeTheta, c.MaxLength)));
        Assert.All(run.Checkpoints, c => Assert.True(c.StageEnd && File.Exists(Path.Combine(c.Path, "model.safetensors"))));
        var listed = await runs.CheckpointsAsync(ct: TestContext.Current.CancellationToken);
        Assert.Equal(2, listed.Count(x => x.Checkpoint.RunId == run.Id && x.RunName == run.Name));
    }

    [Fact]
    public async Task CancelThenResume_HeldAfterStep3_StopsThereWithItsCheckpointAndFinishesEveryStepOnce()
    {
        var runs = app.Services.GetRequiredService<TrainingRunService>();
        var spec = new TrainingRunSpec
        {
            Data = [new DataFileSpec(DataFile())],
            Stages = [new TrainingStage(16, 100, 8, 1e-3)],
            Options = new TrainingOptions { BatchSize = 1, WarmupSteps = 1 },
        };
        var name = $"cancel-{Guid.NewGuid():N}";
        // The run waits after step 3 until its job has seen the cancel: the cancel lands mid-run on any machine.
        var hold = app.Services.GetRequiredService<TrainingStepGate>().HoldAfter(name, 3);
        var run = await runs.CreateAsync(name, spec, TestContext.Current.CancellationToken);
        outputs.Add(run.OutputDirectory);
        await Poll.UntilAsync(() => hold.Reached, $"training run {run.Id} held after step 3", TimeSpan.FromSeconds(180));

        Assert.True(await runs.CancelAsync(run.Id, TestContext.Current.CancellationToken));
        run = await WaitAsync(runs, run.Id, r => r.Status is not (RunStatus.Queued or RunStatus.Running));

        // Stopped at the next durable point: before step 4, with a checkpoint of step 3 on disk and in the list.
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal("Cancelled after saving a checkpoint; Resume continues from it.", run.Message);
        Assert.Equal(3, run.CurrentStep);
        Assert.Equal([1, 2, 3], (await runs.MetricsAsync(run.Id, ct: TestContext.Current.CancellationToken)).Select(m => m.GlobalStep));
        var latest = ProgressiveTrainer.LatestCheckpoint(run.OutputDirectory);
        Assert.Equal("step-000003", Path.GetFileName(latest));
        var state = TrainerState.Load(latest!);
        Assert.Equal((3, 0, 3, 3L), (state.GlobalStep, state.Stage, state.StepInStage, state.OptimizerStep));
        var stored = Assert.Single(run.Checkpoints);
        Assert.Equal((latest, 3, false), (stored.Path, stored.GlobalStep, stored.StageEnd));
        using (var model = SelfLong.Jobs.Models.CheckpointFolder.Load(latest!))
            Assert.Equal(16, model.Config.MaxPositionEmbeddings);

        Assert.True(await runs.ResumeAsync(run.Id, TestContext.Current.CancellationToken));
        run = await WaitAsync(runs, run.Id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed);
        Assert.True(run.Status == RunStatus.Succeeded, run.Message);
        var metrics = await runs.MetricsAsync(run.Id, ct: TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(1, 8), metrics.Select(m => m.GlobalStep));
    }

    [Fact]
    public async Task SameJobRunAgain_AsHangfireDoesAfterAWorkerDies_ContinuesAndDoublesNothing()
    {
        var runs = app.Services.GetRequiredService<TrainingRunService>();
        var spec = new TrainingRunSpec
        {
            Data = [new DataFileSpec(DataFile())],
            Stages = [new TrainingStage(16, 100, 6, 1e-3)],
            Options = new TrainingOptions { BatchSize = 1, WarmupSteps = 1, CheckpointEvery = 2, KeepCheckpoints = 1 },
        };
        var run = await runs.CreateAsync($"again-{Guid.NewGuid():N}", spec, TestContext.Current.CancellationToken);
        outputs.Add(run.OutputDirectory);
        run = await WaitAsync(runs, run.Id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed);
        Assert.True(run.Status == RunStatus.Succeeded, run.Message);
        var checkpointsBefore = run.Checkpoints.Select(c => c.Path).Order().ToList();

        // The job as first enqueued (resume off), dispatched a second time.
        using (var scope = app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<TrainingJob>().RunAsync(run.Id, false, TestContext.Current.CancellationToken);
        }

        run = (await runs.FindAsync(run.Id, TestContext.Current.CancellationToken))!;
        Assert.True(run.Status == RunStatus.Succeeded, run.Message);
        var metrics = await runs.MetricsAsync(run.Id, ct: TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(1, 6), metrics.Select(m => m.GlobalStep));
        Assert.Equal(string.Join(",", checkpointsBefore.Select(Path.GetFileName)), string.Join(",", run.Checkpoints.Select(c => Path.GetFileName(c.Path)).Order()));
        // Retention: the newest periodic checkpoint and the stage end remain, on disk and in the list.
        Assert.Equal(["stage-1-step-000006", "step-000004"], run.Checkpoints.Select(c => Path.GetFileName(c.Path)).Order().ToList());
        Assert.Equal(["stage-1-step-000006", "step-000004"], Directory.GetDirectories(Path.GetDirectoryName(run.Checkpoints[0].Path)!).Select(Path.GetFileName).Order().ToList());
        Assert.All(run.Checkpoints, c => Assert.True(Directory.Exists(c.Path)));
    }

    [Fact]
    public async Task WorkerKilledBeforeItStoredItsLastSteps_ResumeStoresThemFromTheCheckpointsLogHistory()
    {
        var ct = TestContext.Current.CancellationToken;
        var runs = app.Services.GetRequiredService<TrainingRunService>();
        var spec = new TrainingRunSpec
        {
            Data = [new DataFileSpec(DataFile())],
            Stages = [new TrainingStage(16, 100, 6, 1e-3)],
            Options = new TrainingOptions { BatchSize = 1, WarmupSteps = 1, CheckpointEvery = 2 },
        };
        var run = await runs.CreateAsync($"log-history-{Guid.NewGuid():N}", spec, ct);
        outputs.Add(run.OutputDirectory);
        run = await WaitAsync(runs, run.Id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed);
        Assert.True(run.Status == RunStatus.Succeeded, run.Message);
        var before = (await runs.MetricsAsync(run.Id, ct: ct)).ToDictionary(m => m.GlobalStep, m => m.Loss);

        // As if the worker died after writing the checkpoint of step 4, with steps 3 and 4 still
        // waiting for their flush: nothing past step 4 on disk, nothing past step 2 stored, and the
        // run dispatched again as the reaper does.
        Directory.Delete(run.Checkpoints.Single(c => c.StageEnd).Path, recursive: true);
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct))
        {
            await db.TrainingStepMetrics.Where(m => m.RunId == run.Id && m.GlobalStep > 2).ExecuteDeleteAsync(ct);
            await db.TrainingRuns.Where(r => r.Id == run.Id).ExecuteUpdateAsync(r => r.SetProperty(x => x.Status, RunStatus.Queued), ct);
        }
        using (var scope = app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<TrainingJob>().RunAsync(run.Id, true, ct);
        }

        run = (await runs.FindAsync(run.Id, ct))!;
        Assert.True(run.Status == RunStatus.Succeeded, run.Message);
        var after = await runs.MetricsAsync(run.Id, ct: ct);
        Assert.Equal(Enumerable.Range(1, 6), after.Select(m => m.GlobalStep));
        // Steps 3 and 4 are the first worker's own figures, from the checkpoint, not trained again.
        Assert.Equal([before[3], before[4]], after.Where(m => m.GlobalStep is 3 or 4).Select(m => m.Loss));
        Assert.Equal(4, TrainerState.Load(run.Checkpoints.Single(c => c.GlobalStep == 4).Path).LogHistory.Count);
    }

    [Fact]
    public async Task CreateAsync_MissingDataFile_RefusedOnTheDataField()
    {
        var runs = app.Services.GetRequiredService<TrainingRunService>();
        var missing = Path.Combine(dataDir, "absent.jsonl");
        var spec = new TrainingRunSpec { Data = [new DataFileSpec(missing)], Stages = [new TrainingStage(16, 100, 2, 1e-3)] };
        var error = await Assert.ThrowsAsync<TrainingSpecException>(() => runs.CreateAsync("bad", spec, TestContext.Current.CancellationToken));
        // The sandbox's one message: whether a path exists is not told.
        Assert.Equal(SelfLong.Jobs.Storage.ServerPaths.Refusal(SelfLong.Jobs.Storage.ServerPathKind.File), error.Message);
        Assert.Equal("data", error.Field);
    }
}
