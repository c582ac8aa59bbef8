using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Text;

namespace SelfLong.Web.Features.Evaluation;

/// <summary>
/// A new evaluation of a training checkpoint, carried in the evaluation page's address so a
/// checkpoint row can open the form filled in: the folder, its tokenizer and its training length.
/// </summary>
public sealed record EvaluationPrefill(EvaluationKind Kind, string Checkpoint, int TrainingLength, string Tokenizer, string Name)
{
    public static EvaluationPrefill ForCheckpoint(EvaluationKind kind, string runName, int stage, int step, string folder, int trainingLength) =>
        new(kind, folder, trainingLength,
            // SelfLong-Tiny's folders carry the byte tokenizer's marker; others their own tokenizer files.
            File.Exists(Path.Combine(folder, ByteTokenizer.MarkerFile)) ? TokenCounters.Bytes : folder,
            $"{runName} stage {stage + 1} step {step} {kind}");

    public string Link() =>
        $"/evaluation?kind={Kind}&checkpoint={Uri.EscapeDataString(Checkpoint)}&trainingLength={TrainingLength}" +
        $"&tokenizer={Uri.EscapeDataString(Tokenizer)}&name={Uri.EscapeDataString(Name)}";

    /// <summary>Twice the training length, so the grid shows where the checkpoint stops as well as where it works.</summary>
    public int MaxLength => TrainingLength * 2;

    /// <summary>RULER's lengths start at 1024: the training length (at least 1024) and twice it.</summary>
    public string Lengths => Kind == EvaluationKind.Ruler ? $"{Math.Max(1024, TrainingLength)}, {2 * Math.Max(1024, TrainingLength)}" : "";
}
