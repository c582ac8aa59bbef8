using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SelfLong.Jobs.Cli;

namespace SelfLong.Jobs.Training.External;

/// <summary>`./selflong train export` and `./selflong train follow`: a run handed to Axolotl and read back.</summary>
public static class ExternalTrainingCommands
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Export(Action<HostApplicationBuilder>? configureHost = null)
    {
        var run = new Option<long>("--run") { Description = "The training run to export.", Required = true };
        var gpus = new Option<int>("--gpus") { Description = "GPUs the launch uses.", DefaultValueFactory = _ => 8 };
        var contextParallel = new Option<int?>("--context-parallel") { Description = "GPUs that share one sequence (Axolotl's context_parallel_size); all of them by default." };
        var noFollow = new Option<bool>("--no-follow") { Description = "Do not start the job that follows the output folders." };
        var command = new Command("export", "Write the run's stages for Axolotl (data, configs, launch script) under the run's folder; prints one JSON object.")
        {
            run, gpus, contextParallel, noFollow,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var host = CliHost.Build(configure: configureHost);
            var external = host.Services.GetRequiredService<ExternalTraining>();
            var count = parse.GetValue(gpus);
            return await Answer(parse, () => external.ExportAsync(parse.GetValue(run),
                new AxolotlExportOptions(count, parse.GetValue(contextParallel) ?? count), !parse.GetValue(noFollow), ct));
        });
        return command;
    }

    public static Command Follow(Action<HostApplicationBuilder>? configureHost = null)
    {
        var run = new Option<long>("--run") { Description = "The exported training run.", Required = true };
        var command = new Command("follow", "Import the loss and checkpoints Axolotl has written so far; prints one JSON object.") { run };
        command.SetAction(async (parse, ct) =>
        {
            using var host = CliHost.Build(configure: configureHost);
            var external = host.Services.GetRequiredService<ExternalTraining>();
            return await Answer(parse, () => external.FollowAsync(parse.GetValue(run), ct));
        });
        return command;
    }

    /// <summary>
    /// `./selflong train --external NAME ...`: stores the run for an external trainer (never queued,
    /// not held to this machine's device) and prints it; `train export --run ID` hands it over.
    /// </summary>
    public static async Task<int> CreateAsync(ParseResult parse, string name, TrainingRunSpec spec, Action<HostApplicationBuilder>? configureHost, CancellationToken ct)
    {
        using var host = CliHost.Build(configure: configureHost);
        var runs = host.Services.GetRequiredService<TrainingRunService>();
        return await Answer(parse, async () =>
        {
            var run = await runs.CreateAsync(name, spec, ct, external: true);
            return new { run = run.Id, run.Name, Status = run.Status.ToString(), run.External, run.OutputDirectory, run.Message };
        });
    }

    private static async Task<int> Answer<T>(ParseResult parse, Func<Task<T>> work)
    {
        try
        {
            await parse.InvocationConfiguration.Output.WriteLineAsync(JsonSerializer.Serialize(await work(), Json));
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or InvalidOperationException or FileNotFoundException)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync(e.Message);
            return 2;
        }
    }
}
