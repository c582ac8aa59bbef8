using Microsoft.ML.Tokenizers;

namespace SelfLong.Jobs.Text;

/// <summary>
/// The default token counter: OpenAI's cl100k_base vocabulary, shipped in a NuGet data package,
/// so counts are real tokenizer counts without downloading anything.
/// </summary>
public sealed class TiktokenTokenCounter : ITokenCounter
{
    private static readonly Lazy<Tokenizer> Cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    public static TiktokenTokenCounter Default { get; } = new();

    public string Name => TokenCounters.Default;

    public int CountTokens(string text) => text.Length == 0 ? 0 : Cl100k.Value.CountTokens(text);

    public string Truncate(string text, int maxTokens) => TruncateCounted(text, maxTokens).Text;

    /// <summary>The tokenizer counts while it cuts, so long documents are not tokenized a second time to count a chunk.</summary>
    public (string Text, int Tokens) TruncateCounted(string text, int maxTokens)
    {
        if (maxTokens <= 0) return ("", 0);
        var index = Cl100k.Value.GetIndexByTokenCount(text, maxTokens, out _, out var count);
        return (text[..index], count);
    }
}
