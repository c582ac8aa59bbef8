using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SelfLong.Data;
using SelfLong.Jobs.Cli;

namespace SelfLong.Jobs.Faults;

/// <summary>
/// `./selflong bench faults`: real processes and servers with faults injected, each scenario
/// bounded in time, on a database of its own (created and dropped here). Per scenario: items
/// expected, done, lost and doubled, and how the run ended.
/// </summary>
public static class FaultBench
{
    /// <summary>Settings of this process and its workers: short waits, so that each scenario ends in minutes.</summary>
    public static readonly Dictionary<string, string> Settings = new()
    {
        ["SelfLong:Jobs:InvisibilityTimeout"] = "00:00:20",
        ["SelfLong:Jobs:WorkerCount"] = "2",
        ["SelfLong:ModelCalls:Attempts"] = "10",
        ["SelfLong:ModelCalls:InitialBackoff"] = "00:00:00.200",
        ["SelfLong:ModelCalls:MaxBackoff"] = "00:00:02",
        ["SelfLong:ModelCalls:EvaluationAttemptTimeout"] = "00:00:05",
        ["SelfLong:Synthesis:SampleRetryDelay"] = "00:00:02",
    };

    /// <summary>The scenarios, as the JSON names them.</summary>
    public static readonly string[] Scenarios = ["model_server_faults", "kill_mid_training", "kill_mid_ingestion", "kill_mid_synthesis", "kill_mid_evaluation",
        .. PostgresStopScenario.Kinds.Select(k => $"postgres_stopped_{k}")];

    public static Command Command()
    {
        var skipKills = new Option<bool>("--no-kills") { Description = "Only the model-server faults (no worker processes killed)." };
        var only = new Option<string[]>("--only")
        {
            Description = $"Only these scenarios ({string.Join(", ", Scenarios)}).", AllowMultipleArgumentsPerToken = true,
        };
        only.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string[]>()?.FirstOrDefault(n => !Scenarios.Contains(n)) is { } unknown)
                r.AddError($"There is no scenario '{unknown}'; choose from {string.Join(", ", Scenarios)}.");
        });
        var command = new Command("faults", "Fault injection: killed workers, a faulty model server; prints one JSON object.") { skipKills, only };
        command.SetAction(async (parse, ct) =>
        {
            using var probe = CliHost.Build();
            var baseConnection = probe.Services.GetRequiredService<IConfiguration>().GetSelfLongConnectionString();
            var database = $"selflong_faults_{Environment.ProcessId}";
            var connection = new NpgsqlConnectionStringBuilder(baseConnection) { Database = database }.ConnectionString;
            var runs = Directory.CreateTempSubdirectory("selflong-faults-").FullName;
            var settings = new Dictionary<string, string>(Settings) { ["SelfLong:Storage:Root"] = runs };
            await CreateDatabaseAsync(baseConnection, database, ct);
            try
            {
                using var host = CliHost.Build(configure: b =>
                {
                    b.Configuration["ConnectionStrings:SelfLong"] = connection;
                    foreach (var (key, value) in settings) b.Configuration[key] = value;
                });
                await host.Services.MigrateSelfLongDatabaseAsync(ct);
                var watch = Stopwatch.StartNew();
                var chosen = parse.GetValue(only) is { Length: > 0 } names ? names.ToHashSet()
                    : parse.GetValue(skipKills) ? ["model_server_faults"] : Scenarios.ToHashSet();
                var kills = new MidRunFaults(host.Services, connection, settings, runs);
                var result = new Dictionary<string, object>();
                if (chosen.Contains("model_server_faults")) result["model_server_faults"] = await ModelFaultScenarios.RunAsync(host.Services, ct);
                if (chosen.Contains("kill_mid_training")) result["kill_mid_training"] = await kills.TrainingAsync(ct);
                if (chosen.Contains("kill_mid_ingestion")) result["kill_mid_ingestion"] = await kills.IngestionAsync(ct);
                if (chosen.Contains("kill_mid_synthesis")) result["kill_mid_synthesis"] = await kills.SynthesisAsync(ct);
                if (chosen.Contains("kill_mid_evaluation")) result["kill_mid_evaluation"] = await kills.EvaluationAsync(ct);
                var stopped = PostgresStopScenario.Kinds.Where(k => chosen.Contains($"postgres_stopped_{k}")).ToList();
                if (stopped.Count > 0) result["postgres_stopped_10s"] = await PostgresStopScenario.RunAsync(settings, runs, stopped, ct);
                result["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 1);
                Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return 0;
            }
            finally
            {
                await DropDatabaseAsync(baseConnection, database);
                Directory.Delete(runs, recursive: true);
            }
        });
        return command;
    }

    internal static async Task CreateDatabaseAsync(string baseConnection, string database, CancellationToken ct)
    {
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(baseConnection) { Database = "postgres" }.ConnectionString);
        await admin.OpenAsync(ct);
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin);
        await create.ExecuteNonQueryAsync(ct);
    }

    internal static async Task DropDatabaseAsync(string baseConnection, string database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(baseConnection) { Database = "postgres" }.ConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Polls until <paramref name="done"/> holds or the scenario's time is up; reads that find the database away are tried again.</summary>
    public static async Task<T> WaitAsync<T>(Func<CancellationToken, Task<T>> read, Func<T, bool> done, TimeSpan limit, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            try
            {
                var value = await read(ct);
                if (done(value) || DateTime.UtcNow > deadline) return value;
            }
            catch (Exception e) when (DateTime.UtcNow < deadline && (e is NpgsqlException || e.InnerException is NpgsqlException))
            {
                // PostgreSQL stopped (a scenario's fault): its pooled connections are dead, new ones come when it is back.
                NpgsqlConnection.ClearAllPools();
            }
            await Task.Delay(250, ct);
        }
    }
}

/// <summary>One scenario's outcome, as the README's table shows it.</summary>
public sealed record FaultOutcome(string Status, int Expected, int Done, int Lost, int Doubled, double Seconds, string? Message = null, object? Detail = null)
{
    /// <summary>Items whose result equals the healthy run's (model-server faults only).</summary>
    public int? SameAsHealthy { get; init; }
}
