using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// CUDA when the CUDA libtorch package was built in (-p:TorchDevice=cuda) and a GPU is present;
/// the CPU otherwise.
/// </summary>
public static class TorchDevices
{
    private const string Status = "/proc/self/status";

    public static Device Preferred() => cuda.is_available() ? CUDA : CPU;

    public static bool IsCuda(Device device) => device.type == DeviceType.CUDA;

    /// <summary>Peak resident memory of this process (VmHWM) in bytes; 0 where /proc is absent.</summary>
    public static long PeakResidentBytes() => StatusBytes("VmHWM:");

    /// <summary>Resident memory of this process now (VmRSS) in bytes; 0 where /proc is absent.</summary>
    public static long ResidentBytes() => StatusBytes("VmRSS:");

    /// <summary>
    /// Starts a new peak: Linux resets VmHWM to the current resident size when "5" is written to
    /// /proc/self/clear_refs. Does nothing where that file is absent or not writable.
    /// </summary>
    public static void ResetPeakResident()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Hands freed heap pages back to the system (glibc's malloc_trim), so a reset peak starts from what is in use.</summary>
    public static void ReleaseFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    /// <summary>
    /// Bytes of a "/proc/self/status" line such as "VmHWM:\t13167580 kB"; the kernel pads the
    /// figure with spaces only while it is short, so any whitespace separates the fields.
    /// </summary>
    public static long ParseStatusKilobytes(string line)
    {
        var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2 || !long.TryParse(fields[1], out var kb))
            throw new FormatException($"Not a memory line of {Status}: '{line}'.");
        return kb * 1024;
    }

    private static long StatusBytes(string key)
    {
        if (!File.Exists(Status)) return 0;
        var line = File.ReadLines(Status).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? 0 : ParseStatusKilobytes(line);
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
