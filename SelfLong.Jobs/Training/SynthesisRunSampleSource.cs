using SelfLong.Jobs.Models;
using SelfLong.Jobs.Synthesis;

namespace SelfLong.Jobs.Training;

/// <summary>
/// A synthesis run's accepted samples as training samples: the user turn is the sample's input
/// (instruction and full retrieved documents), the response its target (PAPER.md, "Training").
/// Long-input samples learn from every token; long-output samples from the response only.
/// The documents are the input around the instruction, so a sample too long for its stage loses
/// document text only; a long-output sample's input is its instruction alone, so it is never cut.
/// </summary>
public sealed class SynthesisRunSampleSource(SynthesisSampleReader reader, long runId) : ITrainingSampleSource
{
    public string Name => $"synthesis run #{runId}";

    public async Task<IReadOnlyList<TrainingSample>> LoadAsync(CancellationToken ct)
    {
        var samples = new List<TrainingSample>();
        await foreach (var sample in reader.ReadAcceptedAsync(runId, ct))
            samples.Add(new TrainingSample([new ChatMessage("user", sample.Input)], sample.Target, sample.IsLong)
            {
                Documents = Documents(sample.Input, sample.Instruction),
            });
        return samples;
    }

    /// <summary>
    /// SampleAssembler puts the instruction before or after the documents; the documents are the
    /// rest of the input. An input that does not hold its instruction at either end is cut as a whole.
    /// </summary>
    public static PromptSpan? Documents(string input, string instruction)
    {
        if (instruction.Length == 0) return new PromptSpan(0, 0, input.Length);
        if (input.Length <= instruction.Length) return null;
        if (input.EndsWith(instruction, StringComparison.Ordinal)) return new PromptSpan(0, 0, input.Length - instruction.Length);
        if (input.StartsWith(instruction, StringComparison.Ordinal)) return new PromptSpan(0, instruction.Length, input.Length - instruction.Length);
        return new PromptSpan(0, 0, input.Length);
    }

    /// <summary>The weighted sources a spec's synthesis runs stand for.</summary>
    public static IReadOnlyList<WeightedSource> For(TrainingRunSpec spec, SynthesisSampleReader reader) =>
        [.. spec.SynthesisRuns.Select(r => new WeightedSource(new SynthesisRunSampleSource(reader, r.RunId), r.Weight))];
}
