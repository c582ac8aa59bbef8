using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Text;

/// <summary>
/// Tokenizers named the way a user names them (a synthesis run's target tokenizer, a local
/// checkpoint's own): <see cref="Default"/>, <see cref="Bytes"/> (SelfLong-Tiny's one token per
/// UTF-8 byte), or the folder of a model whose tokenizer.json or tokenizer.model (Llama 3 family) or
/// byte-tokenizer marker says how it reads text (<see cref="LocalCheckpoint.LoadTokenizer"/>, which
/// reads a folder once per process and again when its files change).
/// </summary>
public static class TokenCounters
{
    /// <summary>OpenAI's cl100k_base: the default, and the tokenizer corpora are counted with at ingestion.</summary>
    public const string Default = "cl100k_base";

    public const string Bytes = "bytes";

    /// <summary>True when <paramref name="name"/> names a model folder rather than a built-in tokenizer.</summary>
    public static bool IsFolder(string? name) => !string.IsNullOrWhiteSpace(name) && name.Trim() is not (Default or Bytes);

    public static ITokenCounter Resolve(string? name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim() == Default) return TiktokenTokenCounter.Default;
        if (name.Trim() == Bytes) return ByteTokenizer.Instance;
        var folder = Path.GetFullPath(name.Trim());
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException(
                $"'{name}' is not {Default}, {Bytes}, or a model folder on this machine (one with tokenizer.json, tokenizer.model or {ByteTokenizer.MarkerFile}).");
        }
        return LocalCheckpoint.LoadTokenizer(folder);
    }

    /// <summary>Why <paramref name="name"/> cannot be resolved, or null when it can.</summary>
    public static string? Problem(string? name)
    {
        try
        {
            Resolve(name);
            return null;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or FormatException)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// The longest prefix of <paramref name="text"/> with at most <paramref name="maxTokens"/> tokens,
    /// by binary search over counts: for a tokenizer that can only count (a server's route, an
    /// evaluation target's own), never for one that can cut as it counts.
    /// </summary>
    public static string LongestPrefix(ITokenCounter counter, string text, int maxTokens)
    {
        if (maxTokens <= 0) return "";
        int lo = 0, hi = text.Length;
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            if (counter.CountTokens(text[..mid]) <= maxTokens) lo = mid;
            else hi = mid - 1;
        }
        return text[..lo];
    }

    /// <summary>A corpus document's length in <paramref name="tokens"/>: its stored count where that is the tokenizer it was counted with.</summary>
    public static int LengthOf(CorpusDocument document, ITokenCounter tokens) =>
        tokens.Name == Default ? document.TokenCount : tokens.CountTokens(document.Text);
}
