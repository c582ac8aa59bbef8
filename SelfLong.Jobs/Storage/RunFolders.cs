using Microsoft.Extensions.Configuration;

namespace SelfLong.Jobs.Storage;

/// <summary>
/// Training run folders under the storage root (<see cref="StorageOptions.Root"/>). The process that
/// creates a run (the dashboard, the API, a command-line verb) creates its folder with a marker
/// naming the run; a worker that does not find that marker is not looking at the same storage
/// (a local folder instead of the shared one, or the share not mounted) and refuses the run, where
/// it would otherwise train into a folder no one else sees and evaluations would not find.
/// </summary>
public static class RunFolders
{
    private const string MarkerName = ".selflong-run";

    /// <summary>The runs folder of the configured storage root, as an absolute path.</summary>
    public static string RunsDirectory(IConfiguration configuration)
    {
        var root = configuration[StorageOptions.RootSetting] is { Length: > 0 } configured ? configured : new StorageOptions().Root;
        return Path.Combine(Path.GetFullPath(root), "runs");
    }

    /// <summary>
    /// The folder of uploaded training data files (<see cref="Training.DataFiles.TrainingDataFiles"/>) in the
    /// configured storage root, as an absolute path: shared with the workers as the runs folder is.
    /// </summary>
    public static string DataFilesDirectory(IConfiguration configuration) =>
        Path.Combine(Path.GetDirectoryName(RunsDirectory(configuration))!, "data-files");

    /// <summary>
    /// Creates the run's folder and its marker; returns the folder. A folder of that id that already
    /// holds something belongs to a run of another database (one reset, or another deployment on
    /// the same storage root): it is left alone and the run gets a folder of its own, since a worker
    /// would otherwise resume that run's checkpoints as this run's.
    /// </summary>
    public static string Create(IConfiguration configuration, long runId)
    {
        var folder = Path.Combine(RunsDirectory(configuration), $"run-{runId}");
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            folder = $"{folder}-{Guid.NewGuid().ToString("N")[..8]}";
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, MarkerName), runId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return folder;
    }

    /// <summary>Null when this process sees the folder the run was created with; otherwise what to fix.</summary>
    public static string? Unreachable(string folder, long runId)
    {
        var marker = Path.Combine(folder, MarkerName);
        try
        {
            if (File.Exists(marker) && File.ReadAllText(marker).Trim() == runId.ToString(System.Globalization.CultureInfo.InvariantCulture))
                return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable counts as unreachable: the message below says what to check.
        }
        return $"This worker ({Environment.MachineName}) cannot reach the run's folder {folder}: set {StorageOptions.RootSetting} to the " +
            "storage root the dashboard uses, shared by every machine (NFS or similar) and mounted at the same path, then resume the run.";
    }
}
