using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Parquet.Serialization;
using SelfLong.Data;
using SelfLong.Data.Synthesis;

namespace SelfLong.Jobs.Synthesis;

/// <summary>One exported sample: a Parquet row, and the fields beside <c>messages</c> in JSONL.</summary>
public sealed class ExportedSample
{
    public int Index { get; set; }
    public string Kind { get; set; } = "";
    public string InstructionType { get; set; } = "";
    public string System { get; set; } = "";
    public string Input { get; set; } = "";
    public string Target { get; set; } = "";
    public int InputTokens { get; set; }
    public int TargetTokens { get; set; }
    public string Generator { get; set; } = "";
}

/// <summary>
/// A run's accepted samples as JSONL in chat format, as Parquet, and a dataset card. Rejected and
/// failed samples are left out; nothing secret (endpoint keys) is part of any of them. The
/// generator is named by its endpoint's name and model; <c>withLocations</c> adds the endpoint's
/// URL or folder and the tokenizer folder, for exports that stay inside the team.
/// </summary>
public sealed class SynthesisExporter(IDbContextFactory<SelfLongDbContext> dbFactory, SynthesisSampleReader reader)
{
    private static readonly JsonSerializerOptions JsonLines = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task WriteJsonlAsync(long runId, Stream destination, CancellationToken ct = default, bool withLocations = false)
    {
        var run = await RunAsync(runId, withLocations, ct);
        var settings = SynthesisSettings.FromJson(run.SettingsJson);
        await using var writer = new StreamWriter(destination, new UTF8Encoding(false), leaveOpen: true);
        await foreach (var sample in ExportedAsync(run, settings, ct))
        {
            var line = JsonSerializer.Serialize(new
            {
                messages = new[]
                {
                    new { role = "system", content = sample.System },
                    new { role = "user", content = sample.Input },
                    new { role = "assistant", content = sample.Target },
                },
                index = sample.Index, kind = sample.Kind, instruction_type = sample.InstructionType,
                input_tokens = sample.InputTokens, target_tokens = sample.TargetTokens, generator = sample.Generator,
            }, JsonLines);
            await writer.WriteAsync(line);
            await writer.WriteAsync('\n');
        }
    }

    /// <summary>Writes row groups of a few hundred samples; <paramref name="destination"/> must be seekable.</summary>
    public async Task WriteParquetAsync(long runId, Stream destination, CancellationToken ct = default, bool withLocations = false)
    {
        var run = await RunAsync(runId, withLocations, ct);
        var settings = SynthesisSettings.FromJson(run.SettingsJson);
        var batch = new List<ExportedSample>();
        var first = true;
        await foreach (var sample in ExportedAsync(run, settings, ct))
        {
            batch.Add(sample);
            if (batch.Count == 256) await FlushAsync();
        }
        if (batch.Count > 0 || first) await FlushAsync();

        async Task FlushAsync()
        {
            await ParquetSerializer.SerializeAsync(batch, destination, new Parquet.ParquetOptions { Append = !first }, cancellationToken: ct);
            first = false;
            batch.Clear();
        }
    }

    public async Task<string> DatasetCardAsync(long runId, CancellationToken ct = default, bool withLocations = false)
    {
        var run = await RunAsync(runId, withLocations, ct);
        var settings = SynthesisSettings.FromJson(run.SettingsJson);
        var lengths = new List<int>();
        var targets = new List<int>();
        var kinds = new Dictionary<string, int>();
        await foreach (var sample in ExportedAsync(run, settings, ct))
        {
            lengths.Add(sample.InputTokens);
            targets.Add(sample.TargetTokens);
            kinds[sample.Kind] = kinds.GetValueOrDefault(sample.Kind) + 1;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rejected = await db.SynthesisSamples.CountAsync(s => s.RunId == runId && s.Rejected, ct);
        var failed = await db.SynthesisSamples.CountAsync(s => s.RunId == runId && s.Status == SampleStatus.Failed, ct);

        var card = new StringBuilder();
        card.AppendLine($"# {run.Name}").AppendLine();
        card.AppendLine("Long-context instruction data made with the four-step workflow of \"Bootstrap Your Own Context Length\" " +
                        "(instruction generation, retrieval, recursive query-focused summarization, response generation) and long-output back-translation.").AppendLine();
        if (run.IsExtractive)
        {
            card.AppendLine("**Made by the built-in extractive generator, without any language model:** instructions are templates filled with key phrases, " +
                            "summaries and responses are sentences selected from the documents.").AppendLine();
        }
        card.AppendLine("## Provenance").AppendLine();
        card.AppendLine($"- Generator: {run.GeneratorLabel}");
        card.AppendLine($"- Corpus id: {run.CorpusId}");
        card.AppendLine($"- Seed: {run.Seed}");
        card.AppendLine($"- Tokenizer for counts: {run.Tokenizer}");
        card.AppendLine($"- Created: {run.CreatedAt:u}; completed: {run.CompletedAt?.ToString("u") ?? "not yet"}").AppendLine();
        card.AppendLine("## Counts").AppendLine();
        card.AppendLine($"- Exported samples: {lengths.Count} of {run.SampleCount} requested ({string.Join(", ", kinds.Select(k => $"{k.Value} {k.Key}"))})");
        card.AppendLine($"- Rejected by review: {rejected}; failed: {failed}");
        card.AppendLine($"- Model calls: {run.LlmCalls}; answered from the cache: {run.CacheHits}").AppendLine();
        card.AppendLine("## Lengths (tokens)").AppendLine();
        card.AppendLine("| | min | median | mean | max | total |").AppendLine("|---|---|---|---|---|---|");
        card.AppendLine(Row("input", lengths)).AppendLine(Row("target", targets)).AppendLine();
        card.AppendLine("## Settings").AppendLine().AppendLine("```json").AppendLine(
            JsonSerializer.Serialize(JsonDocument.Parse(run.SettingsJson), new JsonSerializerOptions { WriteIndented = true })).AppendLine("```").AppendLine();
        card.AppendLine("## Prompt templates").AppendLine();
        foreach (var (name, text) in PromptTemplates.FromJson(run.TemplatesJson).ToDictionary())
        {
            card.AppendLine($"### {name}").AppendLine().AppendLine("```text").AppendLine(text).AppendLine("```").AppendLine();
        }
        return card.ToString();
    }

    private static string Row(string name, List<int> values)
    {
        if (values.Count == 0) return $"| {name} | – | – | – | – | 0 |";
        var sorted = values.Order().ToList();
        return $"| {name} | {sorted[0]} | {sorted[sorted.Count / 2]} | {sorted.Average():F0} | {sorted[^1]} | {sorted.Sum(v => (long)v)} |";
    }

    private async IAsyncEnumerable<ExportedSample> ExportedAsync(SynthesisRun run, SynthesisSettings settings,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var types = await db.SynthesisSamples.Where(s => s.RunId == run.Id).Select(s => new { s.Index, s.InstructionType })
            .ToDictionaryAsync(s => s.Index, s => s.InstructionType ?? "", ct);
        await foreach (var sample in reader.ReadAcceptedAsync(run.Id, ct))
        {
            yield return new ExportedSample
            {
                Index = sample.Index, Kind = sample.IsLong ? "long_input" : "long_output",
                InstructionType = types.GetValueOrDefault(sample.Index, ""), System = settings.SystemPrompt,
                Input = sample.Input, Target = sample.Target, InputTokens = sample.InputTokens, TargetTokens = sample.TargetTokens,
                Generator = run.GeneratorLabel,
            };
        }
    }

    /// <summary>
    /// The run as exported (not saved): its generator named from its endpoint, and a tokenizer
    /// folder in its settings replaced by the tokenizer's name, unless <paramref name="withLocations"/>.
    /// </summary>
    private async Task<SynthesisRun> RunAsync(long runId, bool withLocations, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.SynthesisRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct)
            ?? throw new KeyNotFoundException($"Synthesis run {runId} does not exist.");
        var endpoint = await db.ModelEndpoints.AsNoTracking().SingleOrDefaultAsync(e => e.Id == run.EndpointId, ct);
        run.GeneratorLabel = endpoint is not null ? SynthesisModelFactory.LabelFor(endpoint, withLocations)
            : withLocations ? run.GeneratorLabel : SynthesisModelFactory.WithoutLocation(run.GeneratorLabel);
        var settings = SynthesisSettings.FromJson(run.SettingsJson);
        if (!withLocations && Text.TokenCounters.IsFolder(settings.TargetTokenizer))
            run.SettingsJson = (settings with { TargetTokenizer = run.Tokenizer }).ToJson();
        return run;
    }
}
