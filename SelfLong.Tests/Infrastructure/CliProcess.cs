using System.Diagnostics;

namespace SelfLong.Tests.Infrastructure;

public sealed record CliResult(int ExitCode, string Output, string Error);

/// <summary>
/// Runs the built `selflong` command line (SelfLong.Jobs.dll, copied beside the tests) as its own
/// process against a test's database: the verb exactly as a user runs it, its own host and settings,
/// and its exit code, standard output and standard error.
/// </summary>
public static class CliProcess
{
    public static Task<CliResult> RunAsync(string connectionString, TimeSpan timeout, params string[] args) =>
        RunWithEnvironmentAsync(connectionString, timeout, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunAsync"/>, with <paramref name="environment"/> added to the process's variables (settings as `Section__Key`).</summary>
    public static async Task<CliResult> RunWithEnvironmentAsync(string connectionString, TimeSpan timeout,
        IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(DotNet())
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SelfLong.Jobs.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["ConnectionStrings__SelfLong"] = connectionString;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return await RunAsync(start, timeout, $"selflong {string.Join(' ', args)}");
    }

    /// <summary>
    /// Runs <paramref name="start"/> (its output and error redirected) to its end and returns both; kills it
    /// and fails, naming <paramref name="what"/>, when it runs past <paramref name="timeout"/>.
    /// </summary>
    public static async Task<CliResult> RunAsync(ProcessStartInfo start, TimeSpan timeout, string what)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start `{what}`.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{what}` did not finish within {timeout}: {await error}");
        }
        return new CliResult(process.ExitCode, await output, await error);
    }

    /// <summary>The dotnet host running these tests, so the command line runs on the same runtime.</summary>
    private static string DotNet() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
