using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using SelfLong.Tests.Deployment;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Foundation;

/// <summary>
/// `./selflong db start|status|stop` run as the script itself, from a folder holding only the script (a
/// checkout of its own, so its cluster is not the suite's), on a free port: each prints one JSON object,
/// and the cluster it reports running takes connections with the password it wrote.
/// </summary>
[NeedsDatabase]
public sealed class DbVerbTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Db_StatusStartStatusStop_PrintsTheClusterStateAsJsonAndTheClusterAnswers()
    {
        var checkout = Directory.CreateTempSubdirectory("selflong-db-verb-").FullName;
        File.Copy(Path.Combine(ComposeFile.Checkout(), "selflong"), Path.Combine(checkout, "selflong"));
        var port = FreePort();
        string? state = null;
        try
        {
            var before = await DbAsync(checkout, port, "status");
            Assert.Equal("stopped", before.GetProperty("state").GetString());
            Assert.Equal(port, before.GetProperty("port").GetInt32());
            var data = before.GetProperty("data").GetString()!;
            state = Path.GetDirectoryName(data);
            Assert.False(Directory.Exists(data), $"A fresh checkout has no cluster yet, but {data} exists.");

            var hugePagesBefore = HugePages();
            var started = await DbAsync(checkout, port, "start");
            Assert.Equal("running", started.GetProperty("state").GetString());
            // As root, start reserves what the cluster's shared memory needs (none where the kernel
            // cannot find it all, or without root); stop hands back exactly that.
            var reserved = started.GetProperty("huge_pages_reserved").GetInt32();
            Assert.Equal(hugePagesBefore + reserved, HugePages());
            Assert.Equal("127.0.0.1", started.GetProperty("host").GetString());
            Assert.Equal(port, started.GetProperty("port").GetInt32());
            Assert.Equal(data, started.GetProperty("data").GetString());
            Assert.True(File.Exists(Path.Combine(data, "PG_VERSION")), $"No cluster in {data}.");

            // The database it names, on the port it names, with the user and password file it names.
            var password = (await File.ReadAllTextAsync(started.GetProperty("password_file").GetString()!, TestContext.Current.CancellationToken)).Trim();
            var connection = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1", Port = port, Database = started.GetProperty("database").GetString(),
                Username = started.GetProperty("user").GetString(), Password = password,
                // A fresh connection each time: a pooled one would outlive the stop below unnoticed.
                Pooling = false,
            };
            await using (var db = new NpgsqlConnection(connection.ConnectionString))
            {
                await db.OpenAsync(TestContext.Current.CancellationToken);
                await using var command = new NpgsqlCommand("SELECT current_database()", db);
                Assert.Equal("selflong", await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
            }

            Assert.Equal("running", (await DbAsync(checkout, port, "status")).GetProperty("state").GetString());

            var stopped = await DbAsync(checkout, port, "stop");
            Assert.Equal("stopped", stopped.GetProperty("state").GetString());
            Assert.Equal(0, stopped.GetProperty("huge_pages_reserved").GetInt32());
            Assert.Equal(hugePagesBefore, HugePages());
            await using (var db = new NpgsqlConnection(connection.ConnectionString))
                await Assert.ThrowsAnyAsync<NpgsqlException>(() => db.OpenAsync(TestContext.Current.CancellationToken));
            Assert.Equal("stopped", (await DbAsync(checkout, port, "status")).GetProperty("state").GetString());
        }
        finally
        {
            await RunAsync(checkout, port, "stop");
            if (state is not null && Directory.Exists(state)) Directory.Delete(state, recursive: true);
            Directory.Delete(checkout, recursive: true);
        }
    }

    /// <summary>The kernel's reserved huge pages (0 where it has none to tell).</summary>
    private static long HugePages() =>
        File.Exists("/proc/sys/vm/nr_hugepages") ? long.Parse(File.ReadAllText("/proc/sys/vm/nr_hugepages").Trim()) : 0;

    [Theory]
    [InlineData("SELFLONG_PG_PORT", "54x32", "SELFLONG_PG_PORT must be a port number, not 54x32")]
    [InlineData("SELFLONG_PG_HUGE_PAGES", "yes", "SELFLONG_PG_HUGE_PAGES must be auto or off, not yes")]
    public async Task Db_SettingOutOfItsValues_RefusedWithTheSettingNamed(string setting, string value, string message)
    {
        var result = await RunAsync(ComposeFile.Checkout(), port: null, "status", environment: (setting, value));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Contains(message, result.Error);
    }

    /// <summary>Runs `selflong db verb`: exit code 0, standard output one JSON object and nothing else.</summary>
    private static async Task<JsonElement> DbAsync(string checkout, int port, string verb)
    {
        var result = await RunAsync(checkout, port, verb);
        Assert.True(result.ExitCode == 0, $"db {verb} exited {result.ExitCode}: {result.Error}");
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
        return json.RootElement.Clone();
    }

    private static async Task<CliResult> RunAsync(string checkout, int? port, string verb, (string Name, string Value)? environment = null)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = checkout,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(checkout, "selflong"), "db", verb }) start.ArgumentList.Add(arg);
        start.Environment.Remove("SELFLONG_DB");
        if (port is { } p) start.Environment["SELFLONG_PG_PORT"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (environment is { } setting) start.Environment[setting.Name] = setting.Value;
        return await CliProcess.RunAsync(start, Limit, $"selflong db {verb}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
