using System.Diagnostics;

namespace SelfLong.Jobs.Faults;

/// <summary>A real `worker` process of this build, started for a fault scenario and killed with SIGKILL.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process process;

    private WorkerProcess(Process process) => this.process = process;

    /// <param name="workingDirectory">The process's own working folder (another machine's, as far as relative paths go); this process's when null.</param>
    public static WorkerProcess Start(string connectionString, string queue, IReadOnlyDictionary<string, string> settings, string? workingDirectory = null)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        // Run as `dotnet SelfLong.Jobs.dll` or as the apphost: the same way this process was.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(WorkerProcess).Assembly.Location);
        foreach (var arg in new[] { "worker", "--queues", queue }) start.ArgumentList.Add(arg);
        start.Environment["ConnectionStrings__SelfLong"] = connectionString;
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__")] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("The worker process did not start.");
        // Read as it comes (a chatty worker never blocks on a full pipe) and passed on to this
        // process's standard error, labelled: when a scenario fails, the workers' logs say why.
        var label = $"[worker {process.Id}] ";
        process.OutputDataReceived += (_, e) => Forward(label, e.Data);
        process.ErrorDataReceived += (_, e) => Forward(label, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new WorkerProcess(process);
    }

    private static void Forward(string label, string? line)
    {
        if (line is not null) Console.Error.WriteLine(label + line);
    }

    /// <summary>SIGKILL: no shutdown hooks, no requeue, connections dropped as a crash drops them.</summary>
    public void Kill()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }
}
