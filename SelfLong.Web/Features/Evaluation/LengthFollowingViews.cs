using System.Text.Json;
using System.Text.Json.Serialization;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation.LengthFollowing;

namespace SelfLong.Web.Features.Evaluation;

/// <summary>A length-following run as the chart and tables draw it.</summary>
public static class LengthFollowingViews
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static LengthFollowingSettings SettingsOf(EvaluationRun run) => JsonSerializer.Deserialize<LengthFollowingSettings>(run.SettingsJson, Json) ?? new();

    public static LengthFollowingSeries Series(EvaluationRun run, IReadOnlyList<LengthFollowingOutput> outputs) =>
        new(run.Name, [.. outputs.Select(o => (o.RequiredWords, o.OutputWords))], LengthFollowingMetrics.Summarize(outputs));
}
