using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SelfLong.Data;
using SelfLong.Jobs.Cli;

namespace SelfLong.Jobs.Faults;

/// <summary>
/// PostgreSQL stopped for <see cref="Down"/> while a run is well under way, then started again,
/// its worker left running: training, ingestion and synthesis runs, one after another, each on a
/// cluster of the bench's own (<see cref="TemporaryCluster"/>), so no other database goes down.
/// </summary>
public static class PostgresStopScenario
{
    public static readonly TimeSpan Down = TimeSpan.FromSeconds(10);

    /// <summary>The run kinds, as `--only postgres_stopped_KIND` names them.</summary>
    public static readonly string[] Kinds = ["training", "ingestion", "synthesis"];

    public static async Task<Dictionary<string, FaultOutcome>> RunAsync(IReadOnlyDictionary<string, string> settings, string folder,
        IReadOnlyCollection<string> kinds, CancellationToken ct)
    {
        await using var cluster = await TemporaryCluster.StartAsync(ct);
        await using (var admin = new NpgsqlConnection(cluster.ConnectionString))
        {
            await admin.OpenAsync(ct);
            await using var create = new NpgsqlCommand("CREATE DATABASE selflong_faults", admin);
            await create.ExecuteNonQueryAsync(ct);
        }
        var connection = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = "selflong_faults" }.ConnectionString;
        using var host = CliHost.Build(configure: b =>
        {
            b.Configuration["ConnectionStrings:SelfLong"] = connection;
            foreach (var (key, value) in settings) b.Configuration[key] = value;
        });
        await host.Services.MigrateSelfLongDatabaseAsync(ct);
        var scenarios = new MidRunFaults(host.Services, connection, settings, folder, new InjectedFault("postgres_stopped", cluster.StopAsync, async token =>
        {
            await Task.Delay(Down, token);
            await cluster.StartAgainAsync(token);
        }));
        var outcomes = new Dictionary<string, FaultOutcome>();
        if (kinds.Contains("training")) outcomes["training"] = await scenarios.TrainingAsync(ct);
        if (kinds.Contains("ingestion")) outcomes["ingestion"] = await scenarios.IngestionAsync(ct);
        if (kinds.Contains("synthesis")) outcomes["synthesis"] = await scenarios.SynthesisAsync(ct);
        return outcomes;
    }
}
