using System.Text.Json;
using System.Text.Json.Serialization;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Evaluation.Perplexity;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Web.Components.Charts;

namespace SelfLong.Web.Features.Evaluation;

/// <summary>Turns stored runs into what the pages and exports draw: heatmaps, settings, comparisons.</summary>
public sealed class EvaluationViews(EvaluationService evaluations)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static NiahSettings NiahSettingsOf(EvaluationRun run) => JsonSerializer.Deserialize<NiahSettings>(run.SettingsJson, Json) ?? new();

    public static RulerSettings RulerSettingsOf(EvaluationRun run) => JsonSerializer.Deserialize<RulerSettings>(run.SettingsJson, Json) ?? new();

    public static PerplexitySettings PerplexitySettingsOf(EvaluationRun run) => JsonSerializer.Deserialize<PerplexitySettings>(run.SettingsJson, Json) ?? new();

    /// <summary>Perplexity versus context length, one line per run, a dashed line at each run's training length.</summary>
    public async Task<string> PerplexityChartAsync(IReadOnlyList<EvaluationRun> runs, CancellationToken ct = default)
    {
        var series = new List<(string, IReadOnlyList<(int, double)>)>();
        foreach (var run in runs)
            series.Add((run.Name, [.. (await evaluations.PerplexityLengthsAsync(run.Id, ct)).Select(p => (p.ContextLength, Math.Exp(p.MeanNll)))]));
        var markers = runs.Select((r, i) => (i, r.TrainingLength ?? 0, $"{r.Name}: training length {r.TrainingLength} (max_position_embeddings)"))
            .Where(m => m.Item2 > 0).ToList();
        return LineChartSvg.Render(series, LineChartAxes.Perplexity, markers);
    }

    /// <param name="interactive">Cells are buttons that open their drawer (the run page); exports and the compare view draw a plain image.</param>
    public async Task<string> HeatmapAsync(EvaluationRun run, CancellationToken ct = default, bool interactive = false)
    {
        var settings = NiahSettingsOf(run);
        var cells = await evaluations.NiahCellsAsync(run.Id, ct);
        return HeatmapSvg.Render(run.Name, settings.Lengths, settings.Depths,
            cells.Select(c => new HeatmapCell(c.ContextLength, c.DepthPercent, c.Score, $"Response: {c.Response}\nExpected: {settings.Answer}")).ToList(),
            run.MaxLength, run.TrainingLength, unit: TokenLengths.Unit(run.Tokenizer), convention: settings.Convention, interactive: interactive);
    }

    /// <summary>B - A per cell both scored, on the union grid; hover names both scores and responses.</summary>
    /// <param name="interactive">Cells both runs scored are buttons that open a drawer with both runs' samples (NiahHeatmap with a baseline).</param>
    public async Task<string> DifferenceHeatmapAsync(EvaluationRun a, EvaluationRun b, CancellationToken ct = default, bool interactive = false)
    {
        var sa = NiahSettingsOf(a);
        var sb = NiahSettingsOf(b);
        var ca = (await evaluations.NiahCellsAsync(a.Id, ct)).ToDictionary(c => (c.ContextLength, c.DepthPercent));
        var cb = await evaluations.NiahCellsAsync(b.Id, ct);
        var cells = cb.Where(c => ca.ContainsKey((c.ContextLength, c.DepthPercent))).Select(c =>
        {
            var other = ca[(c.ContextLength, c.DepthPercent)];
            return new HeatmapCell(c.ContextLength, c.DepthPercent, c.Score - other.Score,
                $"{b.Name}: {c.Score:0.00} — {c.Response}\n{a.Name}: {other.Score:0.00} — {other.Response}");
        }).ToList();
        return HeatmapSvg.Render($"{b.Name} − {a.Name}", sa.Lengths.Union(sb.Lengths).Order().ToList(), sa.Depths.Union(sb.Depths).Order().ToList(),
            cells, Math.Min(a.MaxLength, b.MaxLength), null, difference: true, unit: TokenLengths.Unit(b.Tokenizer), convention: sa.Convention == sb.Convention ? sa.Convention : $"{sb.Convention} − {sa.Convention}: conventions differ", interactive: interactive);
    }

    /// <summary>A chart series name that says what the average covers; the legend shows "11 of 13 tasks" under the run's name.</summary>
    public static string AverageSeries(EvaluationRun run, RulerSummary summary) => $"{run.Name}\naverage of {summary.Covers}";

    /// <summary>Configuration side by side; the API key is never part of it.</summary>
    public static IReadOnlyList<(string Setting, IReadOnlyList<string> Values)> ConfigDiff(IReadOnlyList<EvaluationRun> runs)
    {
        var rows = new List<(string, Func<EvaluationRun, string>)>
        {
            ("kind", r => r.Kind.ToString()),
            ("target", r => r.Kind == EvaluationKind.LmEval ? "imported lm-eval results" : r.Imported ? "imported predictions" : r.TargetKind.ToString()),
            ("location", r => r.TargetLocation ?? ""),
            ("model", r => r.Model ?? ""),
            ("chat template", r => r.ChatTemplate),
            ("tokenizer", r => r.Tokenizer),
            ("sized with", r => r.SizedWith ?? ""),
            ("prompt layout", r => r.PromptLayout ?? ""),
            ("max length", r => r.MaxLength.ToString()),
            ("training length", r => r.TrainingLength?.ToString() ?? ""),
        };
        foreach (var key in runs.SelectMany(r => Flatten(r.SettingsJson).Keys).Distinct().Where(k => !k.Contains("protected", StringComparison.OrdinalIgnoreCase)))
            rows.Add((key, r => Flatten(r.SettingsJson).GetValueOrDefault(key, "")));
        return rows.Select(r => (r.Item1, (IReadOnlyList<string>)runs.Select(r.Item2).ToList())).ToList();
    }

    private static Dictionary<string, string> Flatten(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name,
            p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText());
    }

    /// <summary>RULER samples both runs scored where one is right and the other not (per-sample score ≥ 0.5 counts as right).</summary>
    public async Task<IReadOnlyList<(RulerSampleResult A, RulerSampleResult B)>> DisagreementsAsync(EvaluationRun a, EvaluationRun b, int take = 100, CancellationToken ct = default)
    {
        var sa = (await evaluations.RulerSamplesAsync(a.Id, ct)).ToDictionary(s => (s.Task, s.Length, s.Index));
        return (await evaluations.RulerSamplesAsync(b.Id, ct))
            .Where(s => sa.TryGetValue((s.Task, s.Length, s.Index), out var other) && (s.Score >= 0.5) != (other.Score >= 0.5))
            .Select(s => (sa[(s.Task, s.Length, s.Index)], s)).Take(take).ToList();
    }

    /// <summary>NIAH cells where one run found the needle (score ≥ 0.5) and the other did not.</summary>
    public async Task<IReadOnlyList<(NiahCell A, NiahCell B)>> NiahDisagreementsAsync(EvaluationRun a, EvaluationRun b, CancellationToken ct = default)
    {
        var ca = (await evaluations.NiahCellsAsync(a.Id, ct)).ToDictionary(c => (c.ContextLength, c.DepthPercent));
        return (await evaluations.NiahCellsAsync(b.Id, ct))
            .Where(c => ca.TryGetValue((c.ContextLength, c.DepthPercent), out var other) && (c.Score >= 0.5) != (other.Score >= 0.5))
            .Select(c => (ca[(c.ContextLength, c.DepthPercent)], c)).ToList();
    }
}
