namespace SelfLong.Jobs.Training;

/// <summary>
/// How a checkpoint reaches the disk so that a crash never leaves a half-written one to resume
/// from: everything goes into a <c>.partial</c> folder, trainer_state.json last, and one rename
/// makes it complete. Before writing, the free space is checked against the checkpoint's size;
/// after, older periodic checkpoints beyond the kept number are removed (stage ends always stay).
/// </summary>
public static class CheckpointWriter
{
    public const string PartialSuffix = ".partial";

    /// <summary>Room kept free beyond the checkpoint itself, so the machine stays usable.</summary>
    private const long Headroom = 256L << 20;

    public static void Write(string dir, long expectedBytes, Action<string> writeFiles, Func<string, long>? freeBytes = null)
    {
        var parent = Path.GetDirectoryName(dir)!;
        Directory.CreateDirectory(parent);
        var free = (freeBytes ?? FreeBytes)(parent);
        if (free < expectedBytes + Headroom)
            throw new IOException($"Not enough free disk space for checkpoint {Path.GetFileName(dir)}: it needs about {Gb(expectedBytes)} GB " +
                $"and {Gb(free)} GB are free. Free some space (or keep fewer checkpoints) and resume the run.");
        var partial = dir + PartialSuffix;
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        writeFiles(partial);
        // The same step written again (a resumed run repeats the steps after its last checkpoint) replaces it.
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.Move(partial, dir);
    }

    /// <summary>Writes a small file by rename, so readers see the old content or the new, never a torn one.</summary>
    public static void WriteAllTextAtomic(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Removes periodic checkpoints older than the newest <paramref name="keep"/>; 0 keeps all.</summary>
    public static IReadOnlyList<string> Prune(string checkpointsRoot, int keep)
    {
        if (keep <= 0 || !Directory.Exists(checkpointsRoot)) return [];
        var periodic = Directory.EnumerateDirectories(checkpointsRoot, "step-*")
            .Where(d => !d.EndsWith(PartialSuffix, StringComparison.Ordinal))
            .OrderByDescending(d => Path.GetFileName(d), StringComparer.Ordinal)
            .Skip(keep)
            .ToList();
        foreach (var old in periodic) Directory.Delete(old, recursive: true);
        return periodic;
    }

    private static long FreeBytes(string folder) => new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace;

    private static string Gb(long bytes) => (bytes / 1e9).ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture);
}
