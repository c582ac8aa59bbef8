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
        var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return kb is null ? 0 : long.Parse(kb) * 1024;
    }
}
