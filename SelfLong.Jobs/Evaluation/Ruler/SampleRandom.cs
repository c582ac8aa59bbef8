namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>
/// Seeded randomness for one sample: a Random seeded from (seed, task, index), so a sample depends
/// on nothing else and any index can be generated alone.
/// </summary>
internal static class SampleRandom
{
    public static Random For(int seed, string task, int index)
    {
        unchecked
        {
            // FNV-1a of the task name, then a SplitMix64 finalizer over all three.
            var h = 2166136261u;
            foreach (var c in task) { h ^= c; h *= 16777619u; }
            var x = ((ulong)(uint)seed << 32 | (uint)index) ^ ((ulong)h * 0x9E3779B97F4A7C15UL);
            x ^= x >> 30; x *= 0xBF58476D1CE4E5B9UL;
            x ^= x >> 27; x *= 0x94D049BB133111EBUL;
            x ^= x >> 31;
            return new Random((int)(x & 0x7FFFFFFF));
        }
    }

    /// <summary>A 7-digit number, as RULER's numbers.</summary>
    public static string Number(Random random) => random.Next(1_000_000, 10_000_000).ToString();

    /// <summary>A version-4 UUID from the seeded generator.</summary>
    public static string Uuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString();
    }

    /// <summary>An adjective-noun key such as "shiny-lamp".</summary>
    public static string WordKey(Random random) =>
        $"{EvaluationText.Adjectives[random.Next(EvaluationText.Adjectives.Count)]}-{EvaluationText.Nouns[random.Next(EvaluationText.Nouns.Count)]}";

    public static string Letters(Random random, int count, bool upper)
    {
        var chars = new char[count];
        for (var i = 0; i < count; i++) chars[i] = (char)((upper ? 'A' : 'a') + random.Next(26));
        return new string(chars);
    }

    public static void Shuffle<T>(Random random, IList<T> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    /// <summary>k distinct items of 0..n-1 in draw order (with repeats only when k > n).</summary>
    public static List<int> Sample(Random random, int n, int k)
    {
        if (k > n) return Enumerable.Range(0, k).Select(_ => random.Next(n)).ToList();
        var pool = Enumerable.Range(0, n).ToArray();
        for (var i = 0; i < k; i++)
        {
            var j = i + random.Next(n - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool[..k].ToList();
    }
}
