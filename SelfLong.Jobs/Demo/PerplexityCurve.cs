using System.Text.Json;
using SelfLong.Jobs.Evaluation.Perplexity;

namespace SelfLong.Jobs.Demo;

/// <summary>One checkpoint's curve on the demo's overview: how well it predicts text at each distance into its context.</summary>
public sealed record PerplexityCurve(string Name, int TrainedLength, double RopeTheta, IReadOnlyList<PositionBucket> Buckets)
{
    public static string ToJson(IReadOnlyList<PerplexityCurve> curves) => JsonSerializer.Serialize(curves);

    public static IReadOnlyList<PerplexityCurve> FromJson(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<PerplexityCurve>>(json) ?? [];
}
