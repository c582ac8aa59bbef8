using System.Diagnostics;
using System.Globalization;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training;

/// <summary>
/// The device a run trains on (<see cref="TorchDevices.Preferred"/>, as the trainer picks it) and
/// how much memory it has; <see cref="MemoryBytes"/> is null when it cannot be read.
/// </summary>
public sealed record TrainingDevice(string Name, long? MemoryBytes)
{
    public const string Cuda = "cuda";
    public const string Cpu = "cpu";

    public bool IsCuda => Name == Cuda;

    /// <summary>Whether a run with these options computes in bf16 here (<see cref="TrainingOptions.Bf16OnCuda"/>).</summary>
    public bool Bf16(TrainingOptions options) => IsCuda && options.Bf16OnCuda;

    /// <summary>The preferred device and its memory; <paramref name="memoryBytes"/>, when given, replaces what is read.</summary>
    public static TrainingDevice Detect(long? memoryBytes = null)
    {
        var cuda = TorchDevices.IsCuda(TorchDevices.Preferred());
        return new TrainingDevice(cuda ? Cuda : Cpu, memoryBytes ?? (cuda ? GpuMemoryBytes() : MemTotalBytes()));
    }

    /// <summary>
    /// The first GPU's total memory from nvidia-smi: TorchSharp 0.107 exposes no CUDA memory query
    /// (torch.cuda has is_available, device_count and synchronize only).
    /// </summary>
    private static long? GpuMemoryBytes()
    {
        try
        {
            using var smi = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-gpu=memory.total --format=csv,noheader,nounits")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (smi is null) return null;
            var output = smi.StandardOutput.ReadToEnd();
            if (!smi.WaitForExit(10_000) || smi.ExitCode != 0) return null;
            return ParseNvidiaSmiMebibytes(output);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>The first line of nvidia-smi's memory.total in MiB ("143771"), in bytes.</summary>
    public static long? ParseNvidiaSmiMebibytes(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() is { } line
        && long.TryParse(line, NumberStyles.Integer, CultureInfo.InvariantCulture, out var mib)
            ? mib << 20
            : null;

    private static long? MemTotalBytes()
    {
        const string meminfo = "/proc/meminfo";
        return File.Exists(meminfo) ? ParseMemTotal(File.ReadLines(meminfo)) : null;
    }

    /// <summary>MemTotal of /proc/meminfo ("MemTotal:       131072000 kB"), in bytes.</summary>
    public static long? ParseMemTotal(IEnumerable<string> lines)
    {
        var line = lines.FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return line is null ? null : TorchDevices.ParseStatusKilobytes(line);
    }
}
