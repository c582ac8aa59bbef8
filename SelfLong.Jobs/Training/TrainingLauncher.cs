using SelfLong.Jobs.Models;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Training;

/// <summary>Builds model, tokenizer and data from a <see cref="TrainingRunSpec"/> and runs the trainer.</summary>
public static class TrainingLauncher
{
    public static async Task RunAsync(
        TrainingRunSpec spec, string outputDir, Action<StepMetrics>? onStep, Action<SavedCheckpoint>? onCheckpoint,
        bool resume, CancellationToken ct, IReadOnlyList<WeightedSource>? extraSources = null)
    {
        spec.Validate();
        Directory.CreateDirectory(outputDir);
        var device = TorchDevices.Preferred();
        ITextTokenizer tokenizer;
        LlamaForCausalLM model;
        string? tokenizerSource = null;
        if (spec.Base == TrainingRunSpec.TinyBase)
        {
            manual_seed(spec.Options.Seed);
            tokenizer = ByteTokenizer.Instance;
            model = new LlamaForCausalLM(SelfLongTiny.Config(spec.Stages[0].MaxLength, spec.Stages[0].RopeTheta), device);
        }
        else
        {
            tokenizer = spec.Tokenizer();
            model = CheckpointFolder.Load(spec.Base, device);
            tokenizerSource = spec.Base;
        }
        using (model)
        {
            var data = await LoadDataAsync(spec, extraSources, ct);
            var trainer = new ProgressiveTrainer(model, tokenizer, data, new ProgressiveSchedule(spec.Stages), spec.Options, outputDir, tokenizerSource)
            {
                OnStep = onStep,
                OnCheckpoint = onCheckpoint,
            };
            var from = resume ? ProgressiveTrainer.LatestCheckpoint(outputDir) : null;
            await Task.Run(() => trainer.Run(ct, from), ct);
        }
    }

    /// <summary>The spec's data files and the sources read from the database, each with its mixing weight.</summary>
    public static async Task<IReadOnlyList<(IReadOnlyList<TrainingSample> Samples, double Weight)>> LoadDataAsync(
        TrainingRunSpec spec, IReadOnlyList<WeightedSource>? extraSources, CancellationToken ct)
    {
        var data = new List<(IReadOnlyList<TrainingSample>, double)>();
        foreach (var file in spec.Data)
            data.Add((await new ChatJsonlSampleSource(file.Path).LoadAsync(ct), file.Weight));
        foreach (var source in extraSources ?? [])
        {
            var samples = await source.Source.LoadAsync(ct);
            if (samples.Count == 0) throw new ArgumentException($"{source.Source.Name} has no accepted samples to train on.");
            data.Add((samples, source.Weight));
        }
        return data;
    }
}
