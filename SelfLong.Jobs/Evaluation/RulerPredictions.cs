using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// RULER-style prediction files: export of a run's rows as JSONL ({index, task, max_length, outputs,
/// length, answer_prefix, prediction, score}) and a summary CSV (task x length), and import of
/// external prediction JSONL (RULER writes "pred"; SelfLong writes "prediction") scored with RULER's metrics.
/// </summary>
public sealed class RulerPredictions(IDbContextFactory<SelfLongDbContext> dbFactory, EvaluationService evaluations)
{
    public async Task WriteJsonlAsync(long runId, Stream output, CancellationToken ct = default)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true);
        foreach (var s in await evaluations.RulerSamplesAsync(runId, ct))
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(new
            {
                index = s.Index, task = s.Task, max_length = s.Length, outputs = s.Outputs, length = s.PromptTokens,
                answer_prefix = s.AnswerPrefix, prediction = s.Prediction, score = s.Score, prompt_sha256 = s.PromptHash,
            }));
        }
    }

    public async Task<string> SummaryCsvAsync(long runId, CancellationToken ct = default)
    {
        var summary = await evaluations.RulerSummaryAsync(runId, ct);
        var csv = new StringBuilder();
        csv.AppendLine("task," + string.Join(",", summary.Lengths));
        foreach (var task in summary.Tasks)
            csv.AppendLine(Csv.Field(task) + "," + string.Join(",", summary.Lengths.Select(l => summary.Scores.TryGetValue((task, l), out var v) ? Csv.Number(v) : "")));
        csv.AppendLine("average," + string.Join(",", summary.AverageByLength.Select(a => a is null ? "" : Csv.Number(a.Value))));
        // Which tasks each average is over travels with it: a reader comparing with RULER's tables needs it.
        csv.AppendLine("tasks_averaged," + string.Join(",", summary.TasksByLength));
        csv.AppendLine($"wavg_inc,{(summary.WeightedAverageIncreasing is { } i ? Csv.Number(i) : "")}");
        csv.AppendLine($"wavg_dec,{(summary.WeightedAverageDecreasing is { } d ? Csv.Number(d) : "")}");
        csv.AppendLine($"effective_length,{summary.EffectiveLength?.ToString(CultureInfo.InvariantCulture) ?? ""}");
        csv.AppendLine($"coverage,{Csv.Field(summary.Coverage)}");
        csv.AppendLine($"average_covers,{Csv.Field(summary.Covers)}");
        if (await evaluations.FindAsync(runId, ct) is { } run)
        {
            csv.AppendLine($"tokenizer,{Csv.Field(run.Tokenizer)}");
            if (run.SizedWith is { } sizedWith) csv.AppendLine($"sized_with,{Csv.Field(sizedWith)}");
            if (run.PromptLayout is { } layout) csv.AppendLine($"prompt_layout,{Csv.Field(layout)}");
        }
        return csv.ToString();
    }

    /// <summary>The summary as JSON: every average with what it covers, and what sized the prompts.</summary>
    public async Task<string> SummaryJsonAsync(long runId, CancellationToken ct = default)
    {
        var summary = await evaluations.RulerSummaryAsync(runId, ct);
        var run = await evaluations.FindAsync(runId, ct);
        return JsonSerializer.Serialize(new
        {
            run = runId, tokenizer = run?.Tokenizer, sized_with = run?.SizedWith, prompt_layout = run?.PromptLayout,
            lengths = summary.Lengths, tasks = summary.Tasks,
            scores = summary.Tasks.ToDictionary(t => t, t => summary.Lengths.Select(l => summary.Scores.TryGetValue((t, l), out var v) ? v : (double?)null)),
            average = summary.AverageByLength, tasks_averaged = summary.TasksByLength, average_covers = summary.Covers,
            wavg_inc = summary.WeightedAverageIncreasing, wavg_dec = summary.WeightedAverageDecreasing,
            effective_length = summary.EffectiveLength, coverage = summary.Coverage,
        });
    }

    /// <summary>
    /// Imports prediction JSONL as a finished run. Each row needs the reference "outputs" and a
    /// prediction; the task and length come from the row ("task", "max_length") or from the arguments
    /// (RULER writes one file per task and length). Returns the new run.
    /// </summary>
    public async Task<EvaluationRun> ImportAsync(string name, Stream jsonl, string? task, int? length, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("Give the imported run a name.");
        var rows = new List<RulerSampleResult>();
        using var reader = new StreamReader(jsonl);
        var lineNumber = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject row;
            try
            {
                row = JsonNode.Parse(line)?.AsObject() ?? throw new FormatException("empty");
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                throw new ArgumentException($"Line {lineNumber} is not a JSON object.");
            }
            try
            {
                rows.Add(Row(row, lineNumber, task, length));
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new ArgumentException($"Line {lineNumber}: a field has the wrong type ({e.Message}).");
            }
        }
        if (rows.Count == 0) throw new ArgumentException("The file has no prediction rows.");
        // RULER's niah files overwrite "index" with the answer's character offset, so indices repeat;
        // its evaluate.py scores every line regardless. Such files are numbered by line instead.
        var renumbered = rows.GroupBy(r => (r.Task, r.Length, r.Index)).Any(g => g.Count() > 1);
        if (renumbered)
            foreach (var group in rows.GroupBy(r => (r.Task, r.Length)))
                foreach (var (row, position) in group.Select((r, i) => (r, i))) row.Index = position;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = new EvaluationRun
        {
            Name = name.Trim(), Kind = EvaluationKind.Ruler, Status = RunStatus.Succeeded, Imported = true,
            TargetKind = EvaluationTargetKind.OpenAiCompletions, Model = "imported predictions", MaxLength = rows.Max(r => r.Length),
            SettingsJson = EvaluationJson.Write(new RulerSettings
            {
                Tasks = rows.Select(r => r.Task).Distinct().ToList(), Lengths = rows.Select(r => r.Length).Distinct().Order().ToList(),
                Samples = rows.GroupBy(r => (r.Task, r.Length)).Max(g => g.Count()), Haystack = "imported",
            }),
            TotalItems = rows.Count, DoneItems = rows.Count, StartedAt = DateTimeOffset.UtcNow, CompletedAt = DateTimeOffset.UtcNow,
            Message = "Imported predictions, scored by SelfLong with RULER's metrics" +
                (renumbered ? "; the file's \"index\" values repeat (RULER's niah files hold a character offset there), so rows are numbered by line." : "."),
            RulerSamples = rows,
        };
        db.EvaluationRuns.Add(run);
        await db.SaveChangesAsync(ct);
        return run;
    }
    private static RulerSampleResult Row(JsonObject row, int lineNumber, string? task, int? length)
    {
        var rowTask = row["task"]?.GetValue<string>() ?? task
            ?? throw new ArgumentException($"Line {lineNumber} has no \"task\"; give the task name for this file.");
        var metric = RulerTask.All.FirstOrDefault(t => t.Name == rowTask)?.Metric
            ?? (rowTask.StartsWith("qa", StringComparison.Ordinal) ? RulerMetric.StringMatchPart : RulerMetric.StringMatchAll);
        var rowLength = row["max_length"]?.GetValue<int>() ?? length
            ?? throw new ArgumentException($"Line {lineNumber} has no \"max_length\"; give the length this file was generated at.");
        // evaluate.py: line.get('outputs', [line.get('output', '')]).
        var outputs = row["outputs"] is JsonArray array ? array.Select(o => o?.ToString() ?? "").ToList()
            : row["output"] is JsonValue single ? [single.ToString()]
            : throw new ArgumentException($"Line {lineNumber} has no \"outputs\" list.");
        var prediction = (row["prediction"] ?? row["pred"])?.GetValue<string>()
            ?? throw new ArgumentException($"Line {lineNumber} has no \"pred\" or \"prediction\".");
        var input = row["input"]?.GetValue<string>();
        return new RulerSampleResult
        {
            // evaluate.py: line['others'].get('id', line['index']).
            Task = rowTask, Length = rowLength, Index = (row["others"]?["id"] ?? row["index"])?.GetValue<int>() ?? lineNumber - 1,
            Outputs = outputs, Prediction = prediction, Score = RulerMetrics.Score(metric, prediction, outputs),
            PromptHash = input is null ? "" : EvaluationJson.Hash(input), PromptTokens = row["length"]?.GetValue<int>() ?? 0,
            AnswerPrefix = row["answer_prefix"]?.GetValue<string>() ?? "",
        };
    }
}

internal static class Csv
{
    public static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Quotes a field; a leading =, +, - or @ is prefixed so spreadsheets do not run it as a formula.</summary>
    public static string Field(string value)
    {
        if (value.Length > 0 && "=+-@".Contains(value[0])) value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
