using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SelfLong.Data;
using SelfLong.Jobs.Cli;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Jobs.Demo;

public static class DemoCommands
{
    /// <summary>`./selflong demo`: the whole chain in this process, with its own Hangfire server.</summary>
    public static Command Demo()
    {
        var steps = new Option<int?>("--steps-per-stage") { Description = $"Training steps per stage (default {new DemoOptions().StepsPerStage})." };
        var trainBase = new Option<string?>("--train-base") { Description = "Train only stage 1 from scratch (--base-steps) and copy it to this folder: how the shipped base was made." };
        var baseSteps = new Option<int?>("--base-steps") { Description = $"Stage-1 steps with --train-base (default {new DemoOptions().BaseSteps})." };
        var command = new Command("demo", "Run the built-in demo: ingest, extractive synthesis, SelfLong-Tiny in stages, NIAH and RULER per stage.") { steps, trainBase, baseSteps };
        command.SetAction(async (parse, ct) =>
        {
            using var host = CliHost.Build(JobQueues.All, runServer: true, configure: builder =>
            {
                if (parse.GetValue(steps) is { } n) builder.Configuration[$"{DemoOptions.Section}:StepsPerStage"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (parse.GetValue(trainBase) is { } folder) builder.Configuration[$"{DemoOptions.Section}:TrainBaseTo"] = Path.GetFullPath(folder);
                if (parse.GetValue(baseSteps) is { } b) builder.Configuration[$"{DemoOptions.Section}:BaseSteps"] = b.ToString(System.Globalization.CultureInfo.InvariantCulture);
            });
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            await host.StartAsync(ct);
            var demos = host.Services.GetRequiredService<DemoService>();
            var demo = await demos.CreateAsync(ct);
            var started = DateTime.UtcNow;
            // Progress goes to standard error; standard output carries only the result.
            await host.Services.GetRequiredService<DemoPipeline>().RunAsync(demo.Id,
                line => Console.Error.WriteLine($"[{DateTime.UtcNow - started:mm\\:ss}] {line}"), ct);
            var done = (await demos.LatestAsync(ct))!;
            if (parse.GetValue(trainBase) is null) Console.Error.WriteLine($"Open the dashboard at {DemoService.CompareUrl(done)} to compare the stages.");
            var report = await DemoReport.BuildAsync(host.Services.GetRequiredService<EvaluationService>(), done, DateTime.UtcNow - started, ct);
            Console.WriteLine(JsonSerializer.Serialize(report));
            await host.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
