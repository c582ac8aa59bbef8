using SelfLong.Jobs.Corpora;

namespace SelfLong.Jobs.Evaluation.Perplexity;

/// <summary>
/// The bundled held-out text: State of the Union addresses, most recent first. The demo and the
/// haystacks use Moby-Dick, so none of this was seen in the demo's training.
/// </summary>
public static class HeldOutText
{
    public const string BundledName = "State of the Union addresses (bundled sample, newest first)";

    /// <summary>About a million tokens even for Llama-3's tokenizer: more than the longest windows need.</summary>
    private const int MaxCharacters = 4_000_000;

    public static string Bundled()
    {
        var path = Path.Combine(DemoCorpora.SamplesDirectory, "sotu.jsonl.gz");
        using var file = File.OpenRead(path);
        var addresses = EvaluationText.JsonlTexts(file);
        if (addresses.Count == 0) throw new InvalidDataException($"{path} is empty.");
        addresses.Reverse();
        var text = string.Join("\n\n", addresses);
        return text.Length > MaxCharacters ? text[..MaxCharacters] : text;
    }
}
