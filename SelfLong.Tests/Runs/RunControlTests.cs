using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Runs;
using SelfLong.Data.Training;
using SelfLong.Jobs.Runs;

namespace SelfLong.Tests.Runs;

public sealed class RunControlTests
{
    /// <summary>Records the jobs it is asked to delete; creates none.</summary>
    private sealed class RecordingJobs : IBackgroundJobClient
    {
        public List<string> Deleted { get; } = [];
        public string Create(Job job, IState state) => throw new NotSupportedException();
        public bool ChangeState(string jobId, IState state, string expectedState)
        {
            if (state is DeletedState) Deleted.Add(jobId);
            return true;
        }
    }

    [Fact]
    public void RequestCancel_QueuedRun_EndsNowAndDeletesItsJob()
    {
        var jobs = new RecordingJobs();
        var run = new TrainingRun { Name = "t", OutputDirectory = "out", SpecJson = "{}", Status = RunStatus.Queued, HangfireJobId = "42" };

        Assert.True(RunControl.RequestCancel(run, jobs));

        Assert.Equal((RunStatus.Cancelled, true, RunControl.CancelledBeforeStart), (run.Status, run.CancelRequested, run.Message));
        Assert.NotNull(run.CompletedAt);
        Assert.Equal(["42"], jobs.Deleted);
    }

    [Fact]
    public void RequestCancel_RunningRun_IsAskedToStopAndKeepsRunning()
    {
        var jobs = new RecordingJobs();
        var run = new EvaluationRun { Status = RunStatus.Running, HangfireJobId = "7" };

        Assert.True(RunControl.RequestCancel(run, jobs));

        Assert.Equal((RunStatus.Running, true), (run.Status, run.CancelRequested));
        Assert.Null(run.CompletedAt);
        Assert.Empty(jobs.Deleted);
    }

    [Theory]
    [InlineData(RunStatus.Succeeded)]
    [InlineData(RunStatus.Failed)]
    [InlineData(RunStatus.Cancelled)]
    public void RequestCancel_EndedRun_Refused(RunStatus status)
    {
        var run = new TrainingRun { Name = "t", OutputDirectory = "out", SpecJson = "{}", Status = status };
        Assert.False(RunControl.RequestCancel(run, new RecordingJobs()));
        Assert.False(run.CancelRequested);
    }

    [Fact]
    public void RequestCancel_QueuedRunWorkedByACommand_DeletesNoHangfireJob()
    {
        var jobs = new RecordingJobs();
        var run = new EvaluationRun { Status = RunStatus.Queued, HangfireJobId = RunHere.Marker };

        Assert.True(RunControl.RequestCancel(run, jobs));
        Assert.Empty(jobs.Deleted);
    }

    [Fact]
    public void Requeue_OnlyFromTheGivenStatuses_ClearsTheEnd()
    {
        var failed = new TrainingRun { Name = "t", OutputDirectory = "out", SpecJson = "{}", Status = RunStatus.Failed, CancelRequested = true, Message = "boom", CompletedAt = DateTimeOffset.UtcNow };
        var done = new TrainingRun { Name = "t", OutputDirectory = "out", SpecJson = "{}", Status = RunStatus.Succeeded };

        Assert.True(RunControl.Requeue(failed, RunStatus.Cancelled, RunStatus.Failed));
        Assert.False(RunControl.Requeue(done, RunStatus.Cancelled, RunStatus.Failed));

        Assert.Equal((RunStatus.Queued, false, null, null), (failed.Status, failed.CancelRequested, failed.Message, failed.CompletedAt));
        Assert.Equal(RunStatus.Succeeded, done.Status);
    }

    [Fact]
    public void Interrupt_RunWaitsQueuedWithTheReason()
    {
        var run = new EvaluationRun { Status = RunStatus.Running };
        RunControl.Interrupt(run);
        Assert.Equal((RunStatus.Queued, RunControl.InterruptedMessage), (run.Status, run.Message));
    }
}
