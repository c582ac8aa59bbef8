using System.Diagnostics;
using System.Globalization;

namespace SelfLong.Jobs.Models;

/// <summary>
/// The most GPU memory this process held while the sampler ran, read from nvidia-smi every 50 ms
/// (TorchSharp exposes no CUDA allocator statistics). It sees what the caching allocator has
/// reserved, which only grows within a process, so readings are per step only for steps that run
/// in increasing size. Null where nvidia-smi is absent.
/// </summary>
public sealed class GpuMemorySampler : IDisposable
{
    private readonly Process? smi;
    private long peakMebibytes;

    public GpuMemorySampler()
    {
        try
        {
            smi = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-compute-apps=pid,used_memory --format=csv,noheader,nounits -lms 50")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return;
        }
        if (smi is null) return;
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        smi.OutputDataReceived += (_, e) =>
        {
            var fields = e.Data?.Split(',', StringSplitOptions.TrimEntries);
            if (fields is [var p, var used] && p == pid && long.TryParse(used, CultureInfo.InvariantCulture, out var mib))
                Interlocked.Exchange(ref peakMebibytes, Math.Max(Interlocked.Read(ref peakMebibytes), mib));
        };
        smi.BeginOutputReadLine();
    }

    /// <summary>The highest reading so far in bytes, or null without nvidia-smi.</summary>
    public long? PeakBytes => smi is null ? null : Interlocked.Read(ref peakMebibytes) << 20;

    public void Dispose()
    {
        if (smi is null) return;
        try
        {
            smi.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        smi.Dispose();
    }
}
