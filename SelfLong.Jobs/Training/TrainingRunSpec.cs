using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training;

/// <summary>A data file and its mixing weight.</summary>
public sealed record DataFileSpec(string Path, double Weight = 1.0);

/// <summary>The accepted samples of a synthesis run and their mixing weight.</summary>
public sealed record SynthesisDataSpec(long RunId, double Weight = 1.0);

/// <summary>A corpus's text as plain-text samples and its mixing weight.</summary>
public sealed record CorpusTextSpec(long CorpusId, double Weight = 1.0);

/// <summary>A spec that cannot start; <see cref="Field"/> names the part to fix.</summary>
public sealed class TrainingSpecException(string field, string message) : ArgumentException(message)
{
    public string Field { get; } = field;
}

/// <summary>Retrieval drills whose haystacks are a corpus's text, generated for every stage length.</summary>
public sealed record NeedleDrillSpec(long CorpusId, double Weight = 1.0, int PerLength = 10_000, NeedleDrillFormat Format = NeedleDrillFormat.PassKey);

/// <summary>What a drill teaches: the demo's pass key (<see cref="Drills.NeedleDrills"/>) or RULER's task formats (<see cref="Drills.RulerDrills"/>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NeedleDrillFormat>))]
public enum NeedleDrillFormat { PassKey, Ruler }

/// <summary>
/// Everything a training run needs, as stored with the run: the base (SelfLong-Tiny from scratch,
/// or a checkpoint folder), the data, the stages and the options. Serialized as JSON.
/// </summary>
public sealed record TrainingRunSpec
{
    public const string TinyBase = "tiny";

    /// <summary>"tiny" or a checkpoint folder.</summary>
    public string Base { get; init; } = TinyBase;
    public IReadOnlyList<DataFileSpec> Data { get; init; } = [];
    public IReadOnlyList<SynthesisDataSpec> SynthesisRuns { get; init; } = [];
    public IReadOnlyList<CorpusTextSpec> CorpusText { get; init; } = [];
    public IReadOnlyList<NeedleDrillSpec> NeedleDrills { get; init; } = [];
    public IReadOnlyList<TrainingStage> Stages { get; init; } = [];
    public TrainingOptions Options { get; init; } = new();

    /// <summary>Synthesis runs, corpus text or needle drills: data that is read from the database.</summary>
    [JsonIgnore]
    public bool ReadsDatabase => SynthesisRuns.Count > 0 || CorpusText.Count > 0 || NeedleDrills.Count > 0;

    public string ToJson() => JsonSerializer.Serialize(this);

    public static TrainingRunSpec FromJson(string json) =>
        JsonSerializer.Deserialize<TrainingRunSpec>(json) ?? throw new InvalidDataException("Empty training spec.");

    /// <summary>Refuses a spec that cannot start, saying which part to fix (the first problem found).</summary>
    public void Validate()
    {
        var errors = Errors();
        if (errors.Count > 0) throw new TrainingSpecException(errors[0].Field, errors[0].Message);
    }

    /// <summary>
    /// Every problem that stops the spec from starting, each with the field it concerns (named as
    /// in the REST request: base, data, synthesisRuns, corpusText, needleDrills, stages, options).
    /// </summary>
    public IReadOnlyList<(string Field, string Message)> Errors()
    {
        var errors = new List<(string, string)>();
        if (Base != TinyBase && !File.Exists(System.IO.Path.Combine(Base ?? "", CheckpointFolder.ConfigFile)))
            errors.Add(("base", $"Base '{Base}' is neither \"tiny\" nor a checkpoint folder with a config.json."));
        if (Data.Count == 0 && SynthesisRuns.Count == 0 && CorpusText.Count == 0 && NeedleDrills.Count == 0)
            errors.Add(("data", "Give at least one data file, synthesis run, corpus or needle-drill corpus."));
        foreach (var d in Data)
        {
            if (!File.Exists(d.Path)) errors.Add(("data", $"Data file {d.Path} does not exist."));
            else if (d.Weight <= 0) errors.Add(("data", $"Data file {d.Path}: weight must be positive."));
        }
        foreach (var r in SynthesisRuns.Where(r => r.Weight <= 0))
            errors.Add(("synthesisRuns", $"Synthesis run #{r.RunId}: weight must be positive."));
        foreach (var c in CorpusText.Where(c => c.Weight <= 0))
            errors.Add(("corpusText", $"Corpus #{c.CorpusId}: weight must be positive."));
        foreach (var d in NeedleDrills.Where(d => d.Weight <= 0 || d.PerLength < 1))
            errors.Add(("needleDrills", $"Needle drills from corpus #{d.CorpusId}: give a positive weight and at least one drill per stage length."));
        try
        {
            new ProgressiveSchedule(Stages).Validate();
        }
        catch (ArgumentException e)
        {
            errors.Add(("stages", e.Message));
        }
        if (NeedleDrills.Any(d => d.Format == NeedleDrillFormat.PassKey) && TryTokenizer() is { } tokenizer)
        {
            // Keys are five distinct digits; any one of them measures the frame in this tokenizer.
            var shortest = Drills.NeedleDrills.ShortestLength(tokenizer, "71829");
            foreach (var stage in Stages.Where(s => s is not null && s.MaxLength < shortest))
                errors.Add(("needleDrills", $"Stage length {stage.MaxLength} is too short for a needle drill (at least {shortest} tokens); drop the drills or lengthen the stage."));
        }
        if (NeedleDrills.Any(d => d.Format == NeedleDrillFormat.Ruler) && TryTokenizer() is { } rulerTokenizer)
        {
            // Whether a template fits does not depend on the haystack: one sentence stands in for the corpus.
            var generator = new Evaluation.Ruler.RulerGenerator(Evaluation.Ruler.RulerResources.Create(rulerTokenizer, ["The haystack repeats."]));
            var reserved = LocalCheckpoint.ChatOverhead(rulerTokenizer);
            var lengths = Stages.Where(s => s is not null).Select(s => s.MaxLength).ToList();
            // A template that fits a stage fits every longer one: the longest stage decides.
            if (lengths.Count > 0 && Drills.RulerDrills.TasksAt(generator, lengths.Max(), reserved).Count == 0)
                errors.Add(("needleDrills", $"No stage is long enough for a RULER task's template (the longest is {lengths.Max()} tokens); drop the RULER drills or lengthen a stage."));
        }
        if (Options.BatchSize < 1 || Options.GradientAccumulation < 1)
            errors.Add(("options", "Batch size and accumulation must be at least 1."));
        if (Options.CheckpointEvery < 0) errors.Add(("options", "Checkpoint every N steps must be 0 (stage ends only) or more."));
        if (Options.KeepCheckpoints < 0) errors.Add(("options", "Checkpoints kept must be 0 (keep all) or more."));
        if (Options.MaxShardBytes <= 0) errors.Add(("options", "The maximum shard size must be positive."));
        if (Options.CpuDtype is not ("float32" or "bfloat16")) errors.Add(("options", $"CPU dtype '{Options.CpuDtype}' is not float32 or bfloat16."));
        if (Options.CheckpointAboveTokens < 0 || Options.ChunkTokens < 1)
            errors.Add(("options", "Checkpoint-above length must be 0 or more and the chunk length at least 1 token."));
        return errors;
    }

    /// <summary>The tokenizer the run trains with: SelfLong-Tiny's bytes, or the base folder's own.</summary>
    public ITextTokenizer Tokenizer() => Base == TinyBase ? ByteTokenizer.Instance : LocalCheckpoint.LoadTokenizer(Base);

    /// <summary>
    /// The base's shape: SelfLong-Tiny's default config (the trainer builds it at stage 1's length
    /// and theta, with the same parameters), or the checkpoint folder's config.json.
    /// </summary>
    public LlamaConfig BaseConfig() =>
        Base == TinyBase ? SelfLongTiny.Config() : CheckpointFolder.LoadConfig(Base);

    /// <summary><see cref="Tokenizer"/>, or null when the base folder cannot be read (reported as the base's problem).</summary>
    private ITextTokenizer? TryTokenizer()
    {
        try
        {
            return Tokenizer();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>"LEN:THETA:STEPS:LR" stages separated by commas, e.g. "256:10000:200:1e-3,512:40000:200:5e-4" or "256k:...".</summary>
    public static IReadOnlyList<TrainingStage> ParseStages(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select((part, i) =>
        {
            var f = part.Split(':');
            var length = 0;
            if (f.Length != 4
                || !TryLength(f[0], out length)
                || !double.TryParse(f[1], CultureInfo.InvariantCulture, out var theta)
                || !int.TryParse(f[2], CultureInfo.InvariantCulture, out var steps)
                || !double.TryParse(f[3], CultureInfo.InvariantCulture, out var lr))
                throw new ArgumentException($"Stage {i + 1} '{part}' is not LEN:THETA:STEPS:LR (e.g. 256:10000:200:1e-3).");
            return new TrainingStage(length, theta, steps, lr);
        })];

    private static bool TryLength(string text, out int length)
    {
        try
        {
            length = Evaluation.NumberList.One(text);
            return true;
        }
        catch (ArgumentException)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>"path" or "path:weight".</summary>
    public static DataFileSpec ParseData(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon > 0 && double.TryParse(text[(colon + 1)..], CultureInfo.InvariantCulture, out var weight))
            return new DataFileSpec(text[..colon], weight);
        return new DataFileSpec(text);
    }

    /// <summary>"ID" or "ID:WEIGHT" of a corpus whose text is trained on.</summary>
    public static CorpusTextSpec ParseCorpusText(string text)
    {
        var (id, weight) = ParseIdAndWeight(text)
            ?? throw new ArgumentException($"'{text}' is not a corpus id, optionally ID:WEIGHT (e.g. 3 or 3:0.5).");
        return new CorpusTextSpec(id, weight);
    }

    /// <summary>"ID" or "ID:WEIGHT" of a corpus to cut needle drills from (the default number per stage length).</summary>
    public static NeedleDrillSpec ParseNeedleDrills(string text) => ParseNeedleDrills(text, NeedleDrillFormat.PassKey);

    /// <summary>"ID" or "ID:WEIGHT" of a corpus whose documents are the haystacks of drills in <paramref name="format"/>.</summary>
    public static NeedleDrillSpec ParseNeedleDrills(string text, NeedleDrillFormat format)
    {
        var kind = format == NeedleDrillFormat.Ruler ? "RULER drills" : "needle drills";
        var (id, weight) = ParseIdAndWeight(text)
            ?? throw new TrainingSpecException("needleDrills", $"'{text}' is not a corpus id for {kind}, optionally ID:WEIGHT (e.g. 3 or 3:6).");
        return new NeedleDrillSpec(id, weight, Format: format);
    }

    /// <summary>"ID" or "ID:WEIGHT" of a synthesis run.</summary>
    public static SynthesisDataSpec ParseSynthesisRun(string text)
    {
        var (id, weight) = ParseIdAndWeight(text)
            ?? throw new ArgumentException($"'{text}' is not a synthesis run id, optionally ID:WEIGHT (e.g. 12 or 12:0.5).");
        return new SynthesisDataSpec(id, weight);
    }

    /// <summary>"ID" or "ID:WEIGHT" of an uploaded data file.</summary>
    public static DataFiles.UploadedDataSpec ParseUploadedData(string text)
    {
        var (id, weight) = ParseIdAndWeight(text)
            ?? throw new TrainingSpecException("data", $"'{text}' is not an uploaded data file's id, optionally ID:WEIGHT (e.g. 4 or 4:0.5).");
        return new DataFiles.UploadedDataSpec(id, weight);
    }

    private static (long Id, double Weight)? ParseIdAndWeight(string text)
    {
        var parts = text.Trim().TrimStart('#').Split(':');
        if (parts.Length > 2 || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out var id)) return null;
        if (parts.Length == 1) return (id, 1.0);
        return double.TryParse(parts[1], CultureInfo.InvariantCulture, out var weight) ? (id, weight) : null;
    }
}
