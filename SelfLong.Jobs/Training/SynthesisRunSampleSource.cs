using SelfLong.Jobs.Models;
using SelfLong.Jobs.Synthesis;

namespace SelfLong.Jobs.Training;

/// <summary>
/// A synthesis run's accepted samples as training samples: the user turn is the sample's input
/// (instruction and full retrieved documents), the response its target (PAPER.md, "Training").
/// Long-input samples learn from every token; long-output samples from the response only.
/// </summary>
public sealed class SynthesisRunSampleSource(SynthesisSampleReader reader, long runId) : ITrainingSampleSource
{
    public string Name => $"synthesis run #{runId}";

    public async Task<IReadOnlyList<TrainingSample>> LoadAsync(CancellationToken ct)
    {
        var samples = new List<TrainingSample>();
        await foreach (var sample in reader.ReadAcceptedAsync(runId, ct))
            samples.Add(new TrainingSample([new ChatMessage("user", sample.Input)], sample.Target, sample.IsLong));
        return samples;
    }

    /// <summary>The weighted sources a spec's synthesis runs stand for.</summary>
    public static IReadOnlyList<WeightedSource> For(TrainingRunSpec spec, SynthesisSampleReader reader) =>
        [.. spec.SynthesisRuns.Select(r => new WeightedSource(new SynthesisRunSampleSource(reader, r.RunId), r.Weight))];
}
