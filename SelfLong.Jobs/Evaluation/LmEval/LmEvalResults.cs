using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SelfLong.Data.Evaluation;

namespace SelfLong.Jobs.Evaluation.LmEval;

/// <summary>What one lm-evaluation-harness results file says: the model, when it ran, and every task's scores.</summary>
public sealed record LmEvalResultsFile(string FileName, string? Model, double? Date, IReadOnlyList<LmEvalScore> Scores);

/// <summary>
/// Reads lm-evaluation-harness's results_*.json. Its "results" object maps each task (and group) to
/// keys "metric,filter" (0.4 and later; older files have "metric" alone, read as filter "none"), each
/// with a "metric_stderr,filter" sibling that may be "N/A"; "alias" and other text fields are labels.
/// "higher_is_better", "n-shot" and "n-samples" are per-task tables beside it.
/// </summary>
public static class LmEvalResults
{
    public static LmEvalResultsFile Parse(string fileName, Stream json)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json)?.AsObject() ?? throw new FormatException("empty");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new ArgumentException($"{fileName} is not a JSON object: {e.Message}");
        }
        if (root["results"] is not JsonObject results)
            throw new ArgumentException($"{fileName} has no \"results\" object; give the results_*.json that lm-evaluation-harness writes with --output_path.");
        var scores = new Dictionary<(string, string, string), LmEvalScore>();
        // Newer harness versions repeat group scores under "groups"; a group only there still counts.
        foreach (var section in new[] { results, root["groups"] as JsonObject })
            foreach (var (task, node) in section ?? [])
                if (node is JsonObject fields)
                    foreach (var score in Task(fileName, task, fields, root))
                        scores.TryAdd((score.Task, score.Metric, score.Filter), score);
        if (scores.Count == 0) throw new ArgumentException($"{fileName} has no numeric scores under \"results\".");
        var model = Text(root["model_name"]) ?? ModelArgument(Text(root["config"]?["model_args"]));
        return new LmEvalResultsFile(Path.GetFileName(fileName), model, Number(root["date"]), [.. scores.Values]);
    }

    private static IEnumerable<LmEvalScore> Task(string fileName, string task, JsonObject fields, JsonObject root)
    {
        foreach (var (key, value) in fields)
        {
            var (metric, filter) = Split(key);
            if (metric.EndsWith("_stderr", StringComparison.Ordinal) || Number(value) is not { } number) continue;
            var stderrKey = filter == "none" && !key.Contains(',') ? $"{metric}_stderr" : $"{metric}_stderr,{filter}";
            yield return new LmEvalScore
            {
                Task = task, Metric = metric, Filter = filter, Value = number, Stderr = Number(fields[stderrKey]),
                HigherIsBetter = root["higher_is_better"]?[task]?[metric] is JsonValue better && better.TryGetValue<bool>(out var b) ? b : null,
                FewShot = root["n-shot"]?[task] is JsonValue shot && shot.TryGetValue<int>(out var n) ? n : null,
                Samples = root["n-samples"]?[task]?["effective"] is JsonValue samples && samples.TryGetValue<int>(out var s) ? s : null,
                SourceFile = Path.GetFileName(fileName),
            };
        }
    }

    private static (string Metric, string Filter) Split(string key) =>
        key.IndexOf(',') is var comma and >= 0 ? (key[..comma], key[(comma + 1)..]) : (key, "none");

    /// <summary>A JSON number (or a numeric string), else null: "N/A" and labels are not scores.</summary>
    private static double? Number(JsonNode? node) => node is JsonValue value
        ? value.TryGetValue<double>(out var d) ? d
        : value.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : null
        : null;

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    /// <summary>The pretrained= entry of model_args ("pretrained=meta-llama/Llama-3.1-8B,dtype=bfloat16").</summary>
    private static string? ModelArgument(string? args) =>
        args?.Split(',').Select(a => a.Split('=', 2)).FirstOrDefault(kv => kv.Length == 2 && kv[0].Trim() is "pretrained" or "model")?[1].Trim() ?? args;
}
