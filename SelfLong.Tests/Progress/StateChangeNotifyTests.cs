using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Training;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Progress;

/// <summary>A user's cancel reaches every open page at once, not at its next safety refresh.</summary>
[NeedsDatabase]
public sealed class StateChangeNotifyTests(AppFixture app)
{
    [Fact]
    public async Task Cancel_TrainingAndEvaluationRuns_AnnounceTheChange()
    {
        var ct = TestContext.Current.CancellationToken;
        var received = new ConcurrentQueue<string>();
        await using var listen = new NpgsqlConnection(app.ConnectionString);
        await listen.OpenAsync(ct);
        listen.Notification += (_, e) => received.Enqueue(e.Payload);
        await using (var command = new NpgsqlCommand($"LISTEN {ProgressNotice.Channel}", listen)) await command.ExecuteNonQueryAsync(ct);

        long trainingId, evaluationId;
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct))
        {
            // Running rows with no job behind them: cancelling only marks them, nothing starts.
            var training = new TrainingRun
            {
                Name = "cancel me", Status = RunStatus.Running, TotalSteps = 10, OutputDirectory = Path.GetTempPath(),
                SpecJson = new TrainingRunSpec { Stages = [new TrainingStage(64, 10_000, 10, 1e-3)] }.ToJson(),
            };
            var evaluation = new EvaluationRun { Name = "cancel me", Kind = EvaluationKind.Niah, Status = RunStatus.Running, MaxLength = 1024 };
            db.AddRange(training, evaluation);
            await db.SaveChangesAsync(ct);
            (trainingId, evaluationId) = (training.Id, evaluation.Id);
        }

        Assert.True(await app.Services.GetRequiredService<TrainingRunService>().CancelAsync(trainingId, ct));
        Assert.True(await app.Services.GetRequiredService<EvaluationService>().CancelAsync(evaluationId, ct));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        string[] expected = [$"{ProgressFeatures.Training}:{trainingId}", $"{ProgressFeatures.Evaluation}:{evaluationId}"];
        while (!expected.All(received.Contains))
        {
            try
            {
                await listen.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Assert.Fail($"Not announced within 10 s; received: {string.Join(", ", received)}");
            }
        }
    }
}
