using Microsoft.ML.Tokenizers;

namespace SelfLong.Jobs.Text;

/// <summary>
/// The default token counter: OpenAI's cl100k_base vocabulary, shipped in a NuGet data package,
/// so counts are real tokenizer counts without downloading anything.
/// </summary>
public sealed class TiktokenTokenCounter : ITokenCounter
{
    /// <summary>
    /// Pieces (words with their leading space) whose tokens are kept. The library's default of 8,192
    /// is too small for long prompts of varied prose: RULER generation, which counts every prompt
    /// whole, ran about a third faster with this many (about 30 MB more memory).
    /// </summary>
    internal const int CachedPieces = 1 << 18;

    private static readonly Lazy<Tokenizer> Cl100k = new(Create);

    public static TiktokenTokenCounter Default { get; } = new();

    /// <summary>The vocabulary the data package ships, read with a larger cache; the package's own factory if it moves.</summary>
    private static Tokenizer Create()
    {
        var data = System.Reflection.Assembly.Load("Microsoft.ML.Tokenizers.Data.Cl100kBase");
        using var packed = data.GetManifestResourceStream("cl100k_base.tiktoken.deflate");
        if (packed is null) return TiktokenTokenizer.CreateForEncoding("cl100k_base");
        using var vocabulary = new System.IO.Compression.DeflateStream(packed, System.IO.Compression.CompressionMode.Decompress);
        return TiktokenTokenizer.CreateForModel("gpt-4", vocabulary, cacheSize: CachedPieces);
    }

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
