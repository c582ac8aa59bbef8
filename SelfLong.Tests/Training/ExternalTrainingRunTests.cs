using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Hangfire;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using SelfLong.Data;
using SelfLong.Data.Runs;
using SelfLong.Data.Training;
using SelfLong.Jobs.Runs;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.Training.External;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

/// <summary>
/// A training run created for an external trainer (Axolotl): never queued for SelfLong's trainer,
/// left alone by the reaper, and moved through the one status vocabulary by the trainer's output.
/// </summary>
[NeedsDatabase]
public sealed class ExternalTrainingRunTests(AppFixture app) : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string root = Directory.CreateTempSubdirectory("selflong-external-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string BaseFolder => Path.Combine(root, "base");

    [Fact]
    public async Task CreateRun_ExternalThroughTheApi_StoredWithoutAJobAndTheReaperLeavesItAlone()
    {
        AxolotlFixtures.SaveModel(BaseFolder, 10_000, log: null);
        var spec = AxolotlFixtures.Spec(BaseFolder, AxolotlFixtures.WriteData(root, "hehe"));
        using var client = await app.CreateSignedInClientAsync();

        var response = await client.PostAsJsonAsync("/api/training/runs",
            new { name = $"external-{Guid.NewGuid():N}", spec.Base, spec.Data, spec.Stages, spec.Options, external = true }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["run"]!;
        Assert.True((bool)created["external"]!);
        Assert.Equal("Queued", (string)created["status"]!);
        var id = (long)created["id"]!;
        Assert.Empty(TrainingJobs(id));
        // Long past the reaper's grace, as if every worker had swept it many times.
        await Reaper.SweepAsync(DateTimeOffset.UtcNow.AddMinutes(1), Ct);
        await Reaper.SweepAsync(DateTimeOffset.UtcNow.AddMinutes(1), Ct);

        var run = await RowAsync(id);
        Assert.Equal((RunStatus.Queued, null, TrainingRunService.WaitingForTrainer), (run.Status, run.HangfireJobId, run.Message));
        Assert.Empty(TrainingJobs(id));
        var detail = JsonNode.Parse(await client.GetStringAsync($"/api/training/runs/{id}", Ct))!;
        Assert.True((bool)detail["run"]!["external"]!);
    }

    [Fact]
    public async Task ExternalRun_ExportedAndFollowed_RunningWithTheTrainersLossThenSucceededAtTheLastStageEnd()
    {
        var run = await AxolotlFixtures.CreateExternalRunAsync(app, BaseFolder, AxolotlFixtures.WriteData(root, "hehe"), Ct);
        using var client = await app.CreateSignedInClientAsync();

        (await client.PostAsJsonAsync($"/api/training/runs/{run.Id}/axolotl/export", new { gpus = 2 }, Ct)).EnsureSuccessStatusCode();
        Assert.True(Followed(run.Id));
        Assert.Equal(RunStatus.Queued, (await RowAsync(run.Id)).Status);
        // Stage 1 finished (its final model), stage 2 saved its first checkpoint: the trainer is at work.
        var export = ExternalTraining.ExportFolder(run.OutputDirectory);
        var stage1 = Path.Combine(export, "stage-1", "output");
        AxolotlFixtures.SaveModel(stage1, 10_000, AxolotlFixtures.Log((1, 2.5), (2, 2.25)));
        var stage2 = Path.Combine(export, "stage-2", "output");
        AxolotlFixtures.SaveModel(Path.Combine(stage2, "checkpoint-1"), 40_000, AxolotlFixtures.Log((1, 2.0)));

        (await client.PostAsync($"/api/training/runs/{run.Id}/axolotl/follow", null, Ct)).EnsureSuccessStatusCode();

        var running = await RowAsync(run.Id);
        Assert.Equal(RunStatus.Running, running.Status);
        Assert.NotNull(running.StartedAt);
        Assert.Null(running.CompletedAt);
        var metrics = JsonNode.Parse(await client.GetStringAsync($"/api/training/runs/{run.Id}/metrics", Ct))!.AsArray();
        Assert.Equal([(1, 2.5), (2, 2.25), (3, 2.0)], metrics.Select(m => ((int)m!["step"]!, (double)m["loss"]!)));
        Assert.True(Followed(run.Id));

        AxolotlFixtures.SaveModel(stage2, 40_000, AxolotlFixtures.Log((1, 2.0), (2, 1.75)));
        (await client.PostAsync($"/api/training/runs/{run.Id}/axolotl/follow", null, Ct)).EnsureSuccessStatusCode();

        var done = await RowAsync(run.Id);
        Assert.Equal(RunStatus.Succeeded, done.Status);
        Assert.NotNull(done.CompletedAt);
        Assert.Contains("every stage's final model is imported", done.Message);
        var checkpoints = JsonNode.Parse(await client.GetStringAsync($"/api/training/runs/{run.Id}/checkpoints", Ct))!.AsArray();
        Assert.Equal([(1, true), (2, false), (2, true)], checkpoints.Select(c => ((int)c!["stage"]!, (bool)c["stageEnd"]!)).Order());
        Assert.False(Followed(run.Id));
        Assert.Empty(TrainingJobs(run.Id));
    }

    [Fact]
    public async Task ExternalRun_CancelledWhileTheTrainerWrites_EndsAtOnceStopsFollowingAndResumeFollowsAgain()
    {
        var run = await AxolotlFixtures.CreateExternalRunAsync(app, BaseFolder, AxolotlFixtures.WriteData(root, "hehe"), Ct);
        var external = app.Services.GetRequiredService<ExternalTraining>();
        await external.ExportAsync(run.Id, new AxolotlExportOptions(2, 2), follow: true, Ct);
        AxolotlFixtures.SaveModel(Path.Combine(ExternalTraining.ExportFolder(run.OutputDirectory), "stage-1", "output", "checkpoint-1"), 10_000, AxolotlFixtures.Log((1, 2.5)));
        await external.FollowAsync(run.Id, Ct);
        Assert.Equal(RunStatus.Running, (await RowAsync(run.Id)).Status);
        using var client = await app.CreateSignedInClientAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/api/training/runs/{run.Id}/cancel", null, Ct)).StatusCode);

        // No job of SelfLong's would ever see a cancel request: the run ends now.
        var cancelled = await RowAsync(run.Id);
        Assert.Equal((RunStatus.Cancelled, false, RunControl.StoppedFollowing), (cancelled.Status, cancelled.CancelRequested, cancelled.Message));
        Assert.False(Followed(run.Id));
        await external.FollowAsync(run.Id, Ct);
        Assert.Equal(RunStatus.Cancelled, (await RowAsync(run.Id)).Status);

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/api/training/runs/{run.Id}/resume", null, Ct)).StatusCode);

        Assert.Equal(RunStatus.Queued, (await RowAsync(run.Id)).Status);
        Assert.True(Followed(run.Id));
        Assert.Empty(TrainingJobs(run.Id));
        await external.FollowAsync(run.Id, Ct);
        Assert.Equal(RunStatus.Running, (await RowAsync(run.Id)).Status);
    }

    [Fact]
    public async Task TrainCommand_External_StoresTheRunWithoutAJobAndPrintsItEvenWhenThisDeviceIsTooSmall()
    {
        var data = AxolotlFixtures.WriteData(root, "hehe");
        AxolotlFixtures.SaveModel(BaseFolder, 10_000, log: null);
        // A device far too small for the stages: training here is refused, the external trainer brings its own GPUs.
        void Host(Microsoft.Extensions.Hosting.HostApplicationBuilder b)
        {
            b.Configuration["ConnectionStrings:SelfLong"] = app.ConnectionString;
            b.Configuration["SelfLong:Training:DeviceMemoryBytes"] = "1024";
            b.Configuration["SelfLong:Storage:Root"] = root;
        }
        // The verb's hosts take over Hangfire's process-wide log provider: the suite app gets it back after.
        using var restore = new HangfireLogRestore(app.Services);
        using (var host = SelfLong.Jobs.Cli.CliHost.Build(configure: Host))
        {
            var (refused, errors) = await host.Services.GetRequiredService<TrainingRunService>()
                .TryCreateAsync("here", AxolotlFixtures.Spec(BaseFolder, data), Ct);
            Assert.Null(refused);
            Assert.Contains(errors, e => e.Field == "stages");
        }
        var command = new System.CommandLine.RootCommand { TrainingCommands.Train(Host) };
        var io = new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() };
        var name = $"cli-external-{Guid.NewGuid():N}";

        var code = await command.Parse(["train", "--external", name, "--base", BaseFolder, "--data", data, "--stages", "64:10000:2:1e-3,128:40000:2:5e-4"])
            .InvokeAsync(io, Ct);

        Assert.True(code == 0, io.Error.ToString());
        var printed = JsonNode.Parse(io.Output.ToString()!)!;
        Assert.Equal((name, "Queued", true), ((string)printed["name"]!, (string)printed["status"]!, (bool)printed["external"]!));
        var run = await RowAsync((long)printed["run"]!);
        Assert.Equal((name, true, null), (run.Name, run.External, run.HangfireJobId));
        Assert.StartsWith(root, run.OutputDirectory);
        Assert.Empty(TrainingJobs(run.Id));

        code = await command.Parse(["train", "--external", name, "--output", root, "--data", data]).InvokeAsync(io, Ct);
        Assert.Equal(2, code);
        Assert.Contains("--output is the folder to train into here", io.Error.ToString());
    }

    private RunReaper Reaper => app.Services.GetServices<IHostedService>().OfType<RunReaper>().Single();

    private async Task<TrainingRun> RowAsync(long id)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        return await db.TrainingRuns.AsNoTracking().SingleAsync(r => r.Id == id, Ct);
    }

    /// <summary>Every Hangfire job of SelfLong's trainer for the run, in any state.</summary>
    private List<Hangfire.Common.Job?> TrainingJobs(long runId)
    {
        var monitor = app.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        const int all = 10_000;
        IEnumerable<Hangfire.Common.Job?> jobs = [
            .. monitor.EnqueuedJobs(SelfLong.Jobs.Hosting.JobQueues.Training, 0, all).Select(j => j.Value.Job),
            .. monitor.ProcessingJobs(0, all).Select(j => j.Value.Job), .. monitor.ScheduledJobs(0, all).Select(j => j.Value.Job),
            .. monitor.SucceededJobs(0, all).Select(j => j.Value.Job), .. monitor.FailedJobs(0, all).Select(j => j.Value.Job),
            .. monitor.DeletedJobs(0, all).Select(j => j.Value.Job)];
        return [.. jobs.Where(j => j is { Type.Name: nameof(TrainingJob), Args: [long id, ..] } && id == runId)];
    }

    /// <summary>Whether the recurring job that reads the run's output folders is registered.</summary>
    private bool Followed(long runId)
    {
        using var connection = app.Services.GetRequiredService<JobStorage>().GetConnection();
        return connection.GetRecurringJobs().Any(j => j.Id == ExternalTraining.FollowJobId(runId));
    }
}
