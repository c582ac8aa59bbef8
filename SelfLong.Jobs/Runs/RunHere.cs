using System.Diagnostics;

namespace SelfLong.Jobs.Runs;

/// <summary>
/// A run a command-line verb works on in its own process (<c>--wait</c>) has no Hangfire job; its
/// job id column names the process instead, so <see cref="RunReaper"/> can tell a live one from a
/// killed one (on the same machine; elsewhere it cannot know and leaves the run alone).
/// </summary>
public static class RunHere
{
    private const string Prefix = "here:";

    public static string Marker => $"{Prefix}{Environment.MachineName}:{Environment.ProcessId}";

    public static (bool Alive, int ProcessId)? Owner(string jobId)
    {
        if (!jobId.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var parts = jobId[Prefix.Length..].Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[1], out var pid)) return (false, 0);
        if (parts[0] != Environment.MachineName) return (true, pid);
        try
        {
            using var process = Process.GetProcessById(pid);
            return (!process.HasExited, pid);
        }
        catch (ArgumentException)
        {
            return (false, pid);
        }
    }
}
