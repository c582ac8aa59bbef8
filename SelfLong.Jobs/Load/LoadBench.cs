using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SelfLong.Data;
using SelfLong.Jobs.Cli;
using SelfLong.Jobs.Faults;

namespace SelfLong.Jobs.Load;

/// <summary>
/// `./selflong bench load`: the dashboard as its own process on a database of its own, N
/// signed-in Blazor circuits in headless Chromium browsing at once while four uploads ingest and
/// a synthesis run works in a worker process. A baseline of one circuit with no work running is
/// measured first in the same run; the JSON gives both and their ratios.
/// </summary>
public static class LoadBench
{
    private const string AdminEmail = "load@selflong.bench";

    public static Command Command()
    {
        var circuits = new Option<int>("--circuits") { Description = "Circuits browsing at once under load.", DefaultValueFactory = _ => 50 };
        var rounds = new Option<int>("--rounds") { Description = "Times each circuit clicks through the menu's six pages.", DefaultValueFactory = _ => 3 };
        var records = new Option<int>("--records") { Description = "Records in each of the four uploads.", DefaultValueFactory = _ => 20_000 };
        var samples = new Option<int>("--samples") { Description = "Samples of the synthesis run.", DefaultValueFactory = _ => 400 };
        var workMinutes = new Option<int>("--work-minutes")
        {
            Description = "Minutes to wait after the load phase for the uploads and the synthesis run to end, so the JSON gives how each ended (0: do not wait).",
            DefaultValueFactory = _ => 30,
        };
        foreach (var option in new[] { circuits, rounds, records, samples })
            option.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<int>() < 1) r.AddError($"{option.Name} must be at least 1.");
            });
        workMinutes.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0) r.AddError("--work-minutes must be 0 or more.");
        });
        var command = new Command("load", "Dashboard circuits under load while jobs run; prints one JSON object.") { circuits, rounds, records, samples, workMinutes };
        command.SetAction(async (parse, ct) =>
        {
            using var probe = CliHost.Build();
            var baseConnection = probe.Services.GetRequiredService<IConfiguration>().GetSelfLongConnectionString();
            var database = $"selflong_load_{Environment.ProcessId}";
            var connection = new NpgsqlConnectionStringBuilder(baseConnection) { Database = database }.ConnectionString;
            var folder = Directory.CreateTempSubdirectory("selflong-load-").FullName;
            var settings = new Dictionary<string, string>
            {
                ["SelfLong:Storage:Root"] = folder,
                // Every upload and the synthesis samples at once, so all of the work runs while circuits browse.
                ["SelfLong:Jobs:WorkerCount"] = "8",
            };
            await FaultBench.CreateDatabaseAsync(baseConnection, database, ct);
            try
            {
                using var host = CliHost.Build(configure: b =>
                {
                    b.Configuration["ConnectionStrings:SelfLong"] = connection;
                    foreach (var (key, value) in settings) b.Configuration[key] = value;
                });
                await host.Services.MigrateSelfLongDatabaseAsync(ct);
                var result = await MeasureAsync(host.Services, connection, settings, folder,
                    parse.GetValue(circuits), parse.GetValue(rounds), parse.GetValue(records), parse.GetValue(samples),
                    TimeSpan.FromMinutes(parse.GetValue(workMinutes)), ct);
                Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return 0;
            }
            finally
            {
                await FaultBench.DropDatabaseAsync(baseConnection, database);
                Directory.Delete(folder, recursive: true);
            }
        });
        return command;
    }

    private static async Task<object> MeasureAsync(IServiceProvider services, string connection, Dictionary<string, string> settings, string folder,
        int circuits, int rounds, int records, int samples, TimeSpan workLimit, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var password = $"Load-{Convert.ToHexString(RandomNumberGenerator.GetBytes(12))}";
        await using var work = new LoadWork(services, connection, settings, folder);
        Console.Error.WriteLine("Ingesting the synthesis corpus.");
        var corpus = await work.PrepareAsync(ct);
        using var web = await DashboardProcess.StartAsync(connection, AdminEmail, password, settings, ct);
        await using var browser = await CircuitLoad.SignInAsync(web.Address, AdminEmail, password);
        Console.Error.WriteLine("Baseline: one circuit, no work running.");
        var baseline = await browser.RunAsync(1, rounds);
        var baselineMemory = web.MemoryMiB();
        Console.Error.WriteLine($"Starting the work: four uploads of {records} records, a synthesis run of {samples} samples.");
        await work.StartAsync(corpus, records, samples, ct);
        var before = await work.ReadAsync(ct);
        Console.Error.WriteLine($"Load: {circuits} circuits.");
        var load = await browser.RunAsync(circuits, rounds);
        var after = await work.ReadAsync(ct);
        var memory = web.MemoryMiB();
        Console.Error.WriteLine($"Waiting up to {workLimit.TotalMinutes:0} min for the work to end.");
        var waited = Stopwatch.StartNew();
        var final = await FaultBench.WaitAsync(work.ReadAsync, w => w.Ended, workLimit, ct);
        static double Ratio(double a, double b) => b > 0 ? Math.Round(a / b, 2) : 0;
        return new
        {
            Circuits = circuits,
            Rounds = rounds,
            Baseline = baseline,
            Load = load,
            Ratios = new
            {
                PageLoadP50 = Ratio(load.PageLoadMs.P50, baseline.PageLoadMs.P50),
                PageLoadP95 = Ratio(load.PageLoadMs.P95, baseline.PageLoadMs.P95),
                InteractionP50 = Ratio(load.InteractionMs.P50, baseline.InteractionMs.P50),
                InteractionP95 = Ratio(load.InteractionMs.P95, baseline.InteractionMs.P95),
            },
            WebMemoryMib = new { BaselineRss = baselineMemory.Rss, LoadRss = memory.Rss, PeakRss = memory.Peak },
            Work = new
            {
                Before = before,
                After = after,
                // Progress made while the circuits browsed: proof the jobs ran beside them.
                DocumentsDuringLoad = after.Documents - before.Documents,
                SamplesDuringLoad = after.SamplesCompleted - before.SamplesCompleted,
                RunningThroughout = after.Running,
                // How each run ended (or "Running" if it outlasted --work-minutes), with its errors.
                Final = final,
                FinalAfterSeconds = Math.Round(waited.Elapsed.TotalSeconds, 1),
            },
            Errors = baseline.Errors + load.Errors,
            Dropped = baseline.Dropped + load.Dropped,
            Seconds = Math.Round(watch.Elapsed.TotalSeconds, 1),
        };
    }
}
