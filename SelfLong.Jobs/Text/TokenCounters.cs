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

    /// <summary>A corpus document's length in <paramref name="tokens"/>: its stored count where that is the tokenizer it was counted with.</summary>
    public static int LengthOf(CorpusDocument document, ITokenCounter tokens) =>
        tokens.Name == Default ? document.TokenCount : tokens.CountTokens(document.Text);
}
