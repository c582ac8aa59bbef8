namespace SelfLong.Jobs.Training;

/// <summary>
/// A seed derived from several numbers, the same in every process. HashCode.Combine is randomized
/// per process, so a run resumed in a new process would have drawn other samples from it.
/// </summary>
public static class StableSeed
{
    public static int Of(params long[] parts)
    {
        var h = 0x9E3779B97F4A7C15UL;
        foreach (var part in parts) h = SplitMix64(h ^ (ulong)part);
        return (int)(h & 0x7FFF_FFFF);
    }

    private static ulong SplitMix64(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
