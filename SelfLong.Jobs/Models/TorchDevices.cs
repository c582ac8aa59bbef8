using TorchSharp;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// CUDA when the CUDA libtorch package was built in (-p:TorchDevice=cuda) and a GPU is present;
/// the CPU otherwise.
/// </summary>
public static class TorchDevices
{
    public static Device Preferred() => cuda.is_available() ? CUDA : CPU;

    public static bool IsCuda(Device device) => device.type == DeviceType.CUDA;

    /// <summary>Peak resident memory of this process (VmHWM) in bytes; 0 where /proc is absent.</summary>
    public static long PeakResidentBytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return 0;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:"));
        return line is null ? 0 : ParseStatusKilobytes(line);
    }

    /// <summary>
    /// Bytes in a /proc/self/status line such as "VmHWM:   123456 kB". The kernel pads the figure
    /// to a fixed width with spaces, so an 8-digit figure follows the tab with none: "VmHWM:\t13167580 kB".
    /// </summary>
    public static long ParseStatusKilobytes(string line)
    {
        var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2 || !long.TryParse(fields[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var kb))
            throw new FormatException($"'{line}' is not a /proc/self/status line of the form 'Name: <figure> kB'.");
        return kb * 1024;
    }

    /// <summary>
    /// Resets the peak that <see cref="PeakResidentBytes"/> reads to the current resident size
    /// (Linux: "5" to /proc/self/clear_refs), so a measurement sees its own peak. Does nothing where
    /// that file cannot be written.
    /// </summary>
    public static void ResetPeakResident()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
