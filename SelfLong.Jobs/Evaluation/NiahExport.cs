using System.Text.Json;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;

namespace SelfLong.Jobs.Evaluation;

/// <summary>NIAH results in the common per-cell format (model, context_length, depth_percent, needle, model_response, score, duration, timestamp).</summary>
public static class NiahExport
{
    public static string Json(EvaluationRun run, IEnumerable<NiahCell> cells)
    {
        var settings = EvaluationJson.Read<NiahSettings>(run.SettingsJson);
        return JsonSerializer.Serialize(cells.Select(c => new
        {
            model = run.Model ?? run.Name,
            context_length = c.ContextLength,
            depth_percent = c.DepthPercent,
            needle = settings.Needle,
            question = settings.Question,
            model_response = c.Response,
            score = c.Score,
            scoring = settings.Convention,
            prompt_tokens = c.PromptTokens,
            prompt_sha256 = c.PromptHash,
            duration = c.DurationSeconds,
            timestamp = c.CompletedAt,
        }), new JsonSerializerOptions { WriteIndented = true });
    }
}
