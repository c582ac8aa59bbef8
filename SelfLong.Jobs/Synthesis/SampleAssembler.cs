using System.Text;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// The training sample as in the paper: input = the instruction and the full retrieved documents
/// (not the summaries), target = the response. Document order and the instruction's place follow the
/// run's settings (default: shuffled, instruction after the documents).
/// </summary>
public static class SampleAssembler
{
    public static string AssembleInput(string instruction, IReadOnlyList<RetrievedDocument> documents, SynthesisSettings settings, Random random)
    {
        var ordered = documents.ToList();
        if (settings.DocumentOrder == DocumentOrder.Shuffled) Shuffle(ordered, random);
        var body = new StringBuilder();
        for (var i = 0; i < ordered.Count; i++)
        {
            if (i > 0) body.Append("\n\n");
            body.Append("Document ").Append(i + 1).Append(": ").Append(ordered[i].Document.Title).Append('\n').Append(ordered[i].Document.Text);
        }
        return settings.InstructionPosition == InstructionPosition.BeforeDocuments
            ? $"{instruction}\n\n{body}"
            : $"{body}\n\n{instruction}";
    }

    /// <summary>The required-length hint of a long-output instruction (paper's Figure 3 checks it).</summary>
    public static string WithLengthHint(string instruction, int words) => $"{instruction.TrimEnd()} The answer should be about {words} words long.";

    private static void Shuffle<T>(IList<T> items, Random random)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
