using System.IO.Compression;
using System.Text.Json;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Demo;

/// <summary>Mean negative log-likelihood of the tokens in one range of positions [From, To).</summary>
public sealed record PositionBucket(int From, int To, double MeanNll)
{
    public double Perplexity => Math.Exp(MeanNll);
}

/// <summary>One checkpoint's curve: how well it predicts text at each distance into its context.</summary>
public sealed record PerplexityCurve(string Name, int TrainedLength, double RopeTheta, IReadOnlyList<PositionBucket> Buckets);

/// <summary>
/// Perplexity versus position (ARCHITECTURE.md, "tiny CPU demo"): the robust signal of context
/// extension. A model trained at length L predicts worse past L; raising theta alone helps
/// partly; training the longer stage repairs it. One causal forward per checkpoint over held-out
/// text, NLLs averaged over doubling ranges of positions.
/// </summary>
public static class PerplexityByPosition
{
    public static PerplexityCurve Measure(string name, LocalCheckpoint checkpoint, string text, int firstEdge, int maxLength)
    {
        var ids = checkpoint.Encode(text);
        if (ids.Count < maxLength + 1) throw new ArgumentException($"The held-out text has {ids.Count} tokens; {maxLength + 1} are needed.");
        // nll[i] is the loss of predicting token i + 1 from the i + 1 before it: position i + 1.
        var nll = checkpoint.TokenNlls([.. ids.Take(maxLength + 1)]);
        var buckets = new List<PositionBucket>();
        for (int from = 0, to = firstEdge; from < maxLength; from = to, to *= 2)
        {
            var end = Math.Min(to, maxLength);
            buckets.Add(new PositionBucket(from, end, nll.Skip(from).Take(end - from).Average()));
        }
        return new PerplexityCurve(name, checkpoint.MaxPositionEmbeddings, checkpoint.RopeTheta, buckets);
    }

    /// <summary>
    /// Held-out text: the most recent State of the Union address. The demo trains on Moby-Dick
    /// only, so none of it was seen in training.
    /// </summary>
    public static string HeldOutText()
    {
        var path = Path.Combine(DemoCorpora.SamplesDirectory, "sotu.jsonl.gz");
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        string? line, last = null;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length > 0) last = line;
        }
        using var json = JsonDocument.Parse(last ?? throw new InvalidDataException($"{path} is empty."));
        return json.RootElement.GetProperty("text").GetString() ?? "";
    }

    public static string ToJson(IReadOnlyList<PerplexityCurve> curves) => JsonSerializer.Serialize(curves);

    public static IReadOnlyList<PerplexityCurve> FromJson(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<PerplexityCurve>>(json) ?? [];
}
