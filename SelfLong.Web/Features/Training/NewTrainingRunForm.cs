using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.Training.DataFiles;

namespace SelfLong.Web.Features.Training;

/// <summary>
/// What the new-run dialog holds and how it becomes a <see cref="TrainingRunSpec"/>: the base chosen
/// three ways, data sources as lines of text (ID or PATH, with an optional :WEIGHT), the stage rows
/// and their presets. The dialog binds to it and keeps only what the page itself needs.
/// </summary>
public sealed class NewTrainingRunForm
{
    public const string TinyKind = "tiny", CheckpointKind = "checkpoint", FolderKind = "folder";

    /// <summary>One editable stage row (the spec's <see cref="TrainingStage"/> is immutable).</summary>
    public sealed class StageRow
    {
        public int MaxLength { get; set; }
        public double RopeTheta { get; set; }
        public int Steps { get; set; }
        public double LearningRate { get; set; }

        public static StageRow From(TrainingStage s) => new() { MaxLength = s.MaxLength, RopeTheta = s.RopeTheta, Steps = s.Steps, LearningRate = s.LearningRate };
    }

    public string Name { get; set; } = "";
    public bool External { get; set; }
    public string BaseKind { get; set; } = TinyKind;
    public string CheckpointFolder { get; set; } = "";
    public long? CheckpointId { get; set; }
    public IReadOnlyList<TrainingCheckpointChoice> Checkpoints { get; set; } = [];
    public IReadOnlyCollection<long> UploadedData { get; set; } = [];
    public string DataFiles { get; set; } = "";
    public string SynthesisRuns { get; set; } = "";
    public string CorpusText { get; set; } = "";
    public string NeedleDrills { get; set; } = "";
    public string RulerDrills { get; set; } = "";
    public List<StageRow> Stages { get; set; } = [new() { MaxLength = 128, RopeTheta = 10_000, Steps = 200, LearningRate = 1e-3 }];
    public int PresetStages { get; set; } = 3;
    public int BatchSize { get; set; } = 4;
    public int Accumulation { get; set; } = 1;
    public int CheckpointEvery { get; set; }
    public int Seed { get; set; } = 1;

    /// <summary>The base as the spec stores it: "tiny", the picked checkpoint's folder, or the typed folder.</summary>
    public string BaseFolder() => BaseKind switch
    {
        CheckpointKind => Checkpoints.FirstOrDefault(c => c.Id == CheckpointId)?.Path ?? "",
        FolderKind => CheckpointFolder.Trim(),
        _ => TrainingRunSpec.TinyBase,
    };

    /// <summary>Stages, batch and base as they stand: enough for the estimate and the warnings.</summary>
    public TrainingRunSpec PreviewSpec() => new()
    {
        Base = BaseFolder(),
        Stages = StageSpecs(),
        Options = new TrainingOptions { BatchSize = BatchSize, GradientAccumulation = Accumulation },
    };

    /// <summary>A stage after the last: twice its length, four times its theta (the paper's rule).</summary>
    public void AddStage()
    {
        var last = Stages[^1];
        Stages.Add(new StageRow { MaxLength = last.MaxLength * 2, RopeTheta = last.RopeTheta * 4, Steps = last.Steps, LearningRate = last.LearningRate });
    }

    /// <summary>Fills the stage rows from a preset, keeping stage 1's steps and learning rate; the error when the base cannot be read.</summary>
    public string? ApplyPreset(string preset, TrainingRunService runs)
    {
        var (config, baseError) = runs.ReadBaseConfig(PreviewSpec());
        if (config is null) return baseError;
        try
        {
            Stages = [.. SchedulePresets.Build(preset, config, PresetStages, Stages[0].Steps, Stages[0].LearningRate).Stages.Select(StageRow.From)];
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>Every stage from the first by the paper's rule (length x2, theta x4), at least two.</summary>
    public void ApplyPaperRule()
    {
        var first = Stages[0];
        Stages = [.. ProgressiveSchedule.PaperRule(first.MaxLength, first.RopeTheta, Math.Max(2, Stages.Count), first.Steps, first.LearningRate)
            .Stages.Select(StageRow.From)];
    }

    /// <summary>
    /// The spec to create, the checkpoint and uploaded files read again by id (the lists shown may be
    /// older than their rows). Throws <see cref="TrainingSpecException"/> (an ArgumentException) with
    /// the field at fault.
    /// </summary>
    public async Task<TrainingRunSpec> ToSpecAsync(TrainingRunService runs, TrainingDataFiles dataFiles, CancellationToken ct = default)
    {
        var baseFolder = BaseFolder();
        if (BaseKind == CheckpointKind)
        {
            if (CheckpointId is not { } id) throw new TrainingSpecException("base", "Pick a checkpoint, or choose another base.");
            var (folder, missing) = await runs.CheckpointFolderAsync(id, ct);
            baseFolder = folder ?? throw new TrainingSpecException("base", missing!);
        }
        var (uploaded, missingFiles) = await dataFiles.ResolveAsync([.. UploadedData.Select(id => new UploadedDataSpec(id))], ct);
        if (missingFiles.Count > 0) throw new TrainingSpecException("data", missingFiles[0].Message);
        return new TrainingRunSpec
        {
            Base = baseFolder,
            Data = [.. uploaded, .. Lines(DataFiles).Select(TrainingRunSpec.ParseData)],
            SynthesisRuns = [.. Lines(SynthesisRuns).Select(TrainingRunSpec.ParseSynthesisRun)],
            CorpusText = [.. Lines(CorpusText).Select(TrainingRunSpec.ParseCorpusText)],
            NeedleDrills =
            [
                .. Lines(NeedleDrills).Select(TrainingRunSpec.ParseNeedleDrills),
                .. Lines(RulerDrills).Select(t => TrainingRunSpec.ParseNeedleDrills(t, NeedleDrillFormat.Ruler)),
            ],
            Stages = StageSpecs(),
            Options = new TrainingOptions { BatchSize = BatchSize, GradientAccumulation = Accumulation, CheckpointEvery = CheckpointEvery, Seed = Seed },
        };
    }

    private List<TrainingStage> StageSpecs() => [.. Stages.Select(s => new TrainingStage(s.MaxLength, s.RopeTheta, s.Steps, s.LearningRate))];

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
