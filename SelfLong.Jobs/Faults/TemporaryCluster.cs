using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace SelfLong.Jobs.Faults;

/// <summary>
/// A PostgreSQL cluster of the fault bench's own, in a temporary folder on a free port, so that
/// stopping the server stops nobody else's database. Made with the installed initdb and pg_ctl
/// (run as the postgres user when this process is root, as PostgreSQL requires).
/// </summary>
public sealed class TemporaryCluster : IAsyncDisposable
{
    private readonly string folder;
    private readonly string bin;

    private TemporaryCluster(string folder, string bin, int port, string password)
    {
        this.folder = folder;
        this.bin = bin;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Database = "postgres", Username = "selflong", Password = password,
        }.ConnectionString;
    }

    /// <summary>The cluster's maintenance database, as its superuser.</summary>
    public string ConnectionString { get; }

    private string Data => Path.Combine(folder, "data");

    public static async Task<TemporaryCluster> StartAsync(CancellationToken ct)
    {
        var bin = FindBin() ?? throw new InvalidOperationException("No PostgreSQL server binaries (initdb, pg_ctl) found; `./selflong db start` installs them.");
        var folder = Directory.CreateTempSubdirectory("selflong-pg-").FullName;
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var cluster = new TemporaryCluster(folder, bin, FreePort(), password);
        await File.WriteAllTextAsync(Path.Combine(folder, "pw"), password, ct);
        if (Environment.UserName == "root") await RunAsync("chown", ["-R", "postgres:postgres", folder], ct);
        await cluster.PgAsync("initdb", ["-D", cluster.Data, "-U", "selflong", $"--pwfile={Path.Combine(folder, "pw")}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"], ct);
        var port = new NpgsqlConnectionStringBuilder(cluster.ConnectionString).Port;
        await File.AppendAllTextAsync(Path.Combine(cluster.Data, "postgresql.conf"),
            $"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{folder}'\nmax_connections = 200\n", ct);
        await cluster.StartAgainAsync(ct);
        return cluster;
    }

    /// <summary>Stops the server as an administrator does (fast: open sessions are ended).</summary>
    public Task StopAsync(CancellationToken ct) => PgAsync("pg_ctl", ["-D", Data, "-m", "fast", "-w", "stop"], ct);

    public Task StartAgainAsync(CancellationToken ct) =>
        PgAsync("pg_ctl", ["-D", Data, "-l", Path.Combine(folder, "log"), "-w", "-t", "60", "start"], ct);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await PgAsync("pg_ctl", ["-D", Data, "-m", "immediate", "-w", "stop"], CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        Directory.Delete(folder, recursive: true);
    }

    private Task PgAsync(string tool, string[] args, CancellationToken ct)
    {
        var path = Path.Combine(bin, tool);
        return Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", path, .. args], ct) : RunAsync(path, args, ct);
    }

    private static async Task RunAsync(string file, string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args.Take(3))} failed: {await error}{await output}");
    }

    /// <summary>The newest installed server's binaries (Debian's layout), else whatever initdb is on the PATH.</summary>
    private static string? FindBin()
    {
        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        return installed ?? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")));
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
