using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;

namespace SelfLong.Jobs.Corpora.Embeddings;

/// <summary>
/// The built-in embedder: no model needed. Lower-cased words (English stop words dropped) and
/// adjacent word pairs are hashed into a fixed number of signed buckets (the hashing trick),
/// weighted 1 + ln(tf), and the vector is L2-normalized, so cosine similarity measures shared
/// words and phrases. It is lexical, not semantic; the UI labels it so.
/// </summary>
public sealed class LexicalEmbedder : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int DefaultDimension = 256;
    public const string ModelName = "lexical-hash-v1";

    public LexicalEmbedder(int dimension = DefaultDimension)
    {
        if (dimension is < 16 or > Storage.VectorLayout.MaxDimension)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"The lexical embedder supports 16 to {Storage.VectorLayout.MaxDimension} dimensions.");
        Dimension = dimension;
        Metadata = new EmbeddingGeneratorMetadata("selflong-lexical", null, ModelName, dimension);
    }

    public int Dimension { get; }

    public EmbeddingGeneratorMetadata Metadata { get; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values) result.Add(new Embedding<float>(Embed(value)) { ModelId = ModelName });
        return Task.FromResult(result);
    }

    public float[] Embed(string text)
    {
        var counts = new Dictionary<ulong, int>();
        ulong previous = 0;
        var hasPrevious = false;
        var span = text.AsSpan();
        var i = 0;
        Span<char> lower = stackalloc char[64];
        while (i < span.Length)
        {
            while (i < span.Length && !char.IsLetterOrDigit(span[i])) i++;
            var start = i;
            while (i < span.Length && (char.IsLetterOrDigit(span[i]) || (span[i] == '\'' && i + 1 < span.Length && char.IsLetter(span[i + 1])))) i++;
            if (i == start) continue;
            var word = span[start..Math.Min(i, start + lower.Length)];
            var length = word.ToLowerInvariant(lower);
            var token = lower[..length];
            if (StopWords.Contains(token))
            {
                hasPrevious = false;
                continue;
            }
            var hash = Fnv(token, 14695981039346656037UL);
            Add(counts, hash);
            if (hasPrevious) Add(counts, Mix(previous, hash));
            previous = hash;
            hasPrevious = true;
        }

        var vector = new float[Dimension];
        foreach (var (feature, count) in counts)
        {
            var bucket = (int)(feature % (ulong)Dimension);
            var sign = (feature >> 63) == 0 ? 1f : -1f;
            vector[bucket] += sign * (1f + MathF.Log(count));
        }
        var norm = MathF.Sqrt(vector.Sum(x => x * x));
        if (norm > 0)
            for (var k = 0; k < vector.Length; k++) vector[k] /= norm;
        return vector;
    }

    private static void Add(Dictionary<ulong, int> counts, ulong feature) =>
        CollectionsMarshal.GetValueRefOrAddDefault(counts, feature, out _)++;

    private static ulong Fnv(ReadOnlySpan<char> text, ulong hash)
    {
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return Finalize(hash);
    }

    private static ulong Mix(ulong a, ulong b) => Finalize(a * 31 + b + 0x9E3779B97F4A7C15UL);

    // splitmix64's finalizer spreads FNV's weak low bits over the whole word.
    private static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> StopWords = new HashSet<string>(
    [
        "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had", "has", "have", "he", "her", "his",
        "i", "in", "is", "it", "its", "of", "on", "or", "our", "she", "so", "that", "the", "their", "them", "there", "these",
        "they", "this", "those", "to", "was", "we", "were", "which", "who", "will", "with", "would", "you", "your", "not",
        "all", "any", "can", "do", "if", "into", "no", "than", "then", "what", "when", "where", "how", "my", "me", "him", "us",
        "upon", "shall", "may", "been", "being", "such", "also", "more", "most", "one", "up", "out", "about", "over", "very",
    ]).GetAlternateLookup<ReadOnlySpan<char>>();

    // Only the embedder itself is on offer, and only without a key.
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsAssignableFrom(GetType()) ? this : null;

    public void Dispose() { }
}
