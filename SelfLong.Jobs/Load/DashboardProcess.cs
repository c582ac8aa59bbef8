using System.Diagnostics;
using System.Globalization;
using SelfLong.Jobs.Faults;

namespace SelfLong.Jobs.Load;

/// <summary>
/// The dashboard of this build (SelfLong.Web.dll) as its own process, on a loopback port and the
/// load bench's database, serving pages only: its jobs run in a worker process, as in a deployment
/// with separate workers, so the web process's figures are the dashboard's alone.
/// </summary>
public sealed class DashboardProcess : IDisposable
{
    private readonly Process process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();

    private DashboardProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<DashboardProcess> StartAsync(string connectionString, string adminEmail, string adminPassword,
        IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        // `./selflong` runs from the web build's folder (the Jobs host sits beside SelfLong.Web.dll); the tests name theirs.
        var folder = Environment.GetEnvironmentVariable("SELFLONG_WEB_DIR") is { Length: > 0 } named ? named : AppContext.BaseDirectory;
        var web = Path.Combine(folder, "SelfLong.Web.dll");
        if (!File.Exists(web)) throw new InvalidOperationException($"No SelfLong.Web.dll in {folder}; build the web project (./selflong builds it).");
        var address = new Uri($"http://127.0.0.1:{TemporaryCluster.FreePort()}");
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(web);
        start.Environment["Urls"] = address.ToString();
        start.Environment["ConnectionStrings__SelfLong"] = connectionString;
        start.Environment["SelfLong__Admin__Email"] = adminEmail;
        start.Environment["SelfLong__Admin__Password"] = adminPassword;
        start.Environment["SelfLong__Jobs__RunServer"] = "false";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__")] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("The dashboard process did not start.");
        // Drained so a chatty process never blocks on a full pipe, and kept (Output); errors go to this bench's log.
        var dashboard = new DashboardProcess(process, address);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) dashboard.Keep(e.Data); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            dashboard.Keep(e.Data);
            Console.Error.WriteLine($"[web] {e.Data}");
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await dashboard.WaitReadyAsync(ct);
        }
        catch
        {
            dashboard.Dispose();
            throw;
        }
        return dashboard;
    }

    /// <summary>The most lines <see cref="Output"/> keeps: a long bench run drops its oldest.</summary>
    private const int MaxLines = 100_000;

    private void Keep(string line)
    {
        output.Enqueue(line);
        while (output.Count > MaxLines) output.TryDequeue(out _);
    }

    /// <summary>What the process printed so far (standard output and error, line by line), as a person running it reads it.</summary>
    public string Output => string.Join('\n', output);

    /// <summary>
    /// Stops the process as Ctrl-C or a service manager does (SIGTERM), so its loggers flush, and
    /// waits for it to end; <see cref="Output"/> is then complete.
    /// </summary>
    public async Task StopAsync(CancellationToken ct)
    {
        if (process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync(ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(limit.Token);
        // The exit event can come before the last lines are read; the read-to-end wait takes them all.
        process.WaitForExit();
    }

    /// <summary>Resident memory now and at its peak (VmRSS, VmHWM), in MiB.</summary>
    public (double Rss, double Peak) MemoryMiB()
    {
        var lines = File.ReadAllLines($"/proc/{process.Id}/status");
        double Read(string key) => long.Parse(lines.First(l => l.StartsWith(key, StringComparison.Ordinal))[key.Length..].Trim().Split(' ')[0],
            CultureInfo.InvariantCulture) / 1024.0;
        return (Math.Round(Read("VmRSS:"), 1), Math.Round(Read("VmHWM:"), 1));
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"The dashboard process exited with code {process.ExitCode} while starting: {Output}");
            try
            {
                if ((await client.GetAsync("/health/live", ct)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // Starting slowly.
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The dashboard did not answer /health/live within 2 minutes.");
            await Task.Delay(250, ct);
        }
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
    }
}
