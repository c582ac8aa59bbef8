using System.Text;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Models;

/// <summary>
/// SelfLong-Tiny's tokenizer: one id per UTF-8 byte (0-255), then the five Llama-3 chat markers.
/// The vocabulary is padded to 264 so embedding rows stay a multiple of 8.
/// </summary>
public sealed class ByteTokenizer : ITextTokenizer
{
    /// <summary>A checkpoint folder holding this file uses the byte tokenizer.</summary>
    public const string MarkerFile = "selflong_byte_tokenizer.json";

    public const int Size = 264;

    public static readonly ByteTokenizer Instance = new();

    public int VocabSize => Size;

    public string Name => TokenCounters.Bytes;

    public ChatTokens Chat { get; } = new(BeginOfText: 256, EndOfText: 257, StartHeader: 258, EndHeader: 259, EndOfTurn: 260);

    public IReadOnlyList<int> Encode(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];

    /// <summary>Bytes back to text; special ids are dropped, invalid UTF-8 becomes U+FFFD.</summary>
    public string Decode(IEnumerable<int> ids) => Encoding.UTF8.GetString([.. ids.Where(i => i is >= 0 and < 256).Select(i => (byte)i)]);

    public int CountTokens(string text) => Encoding.UTF8.GetByteCount(text);

    public string Truncate(string text, int maxTokens) => TruncateCounted(text, maxTokens).Text;

    /// <summary>The longest prefix of at most <paramref name="maxTokens"/> bytes that ends between characters.</summary>
    public (string Text, int Tokens) TruncateCounted(string text, int maxTokens)
    {
        var (chars, bytes) = (0, 0);
        while (chars < text.Length)
        {
            // A lone surrogate is encoded as U+FFFD, three bytes, as Encode does.
            Rune.DecodeFromUtf16(text.AsSpan(chars), out var rune, out var used);
            if (bytes + rune.Utf8SequenceLength > maxTokens) break;
            bytes += rune.Utf8SequenceLength;
            chars += used;
        }
        return (text[..chars], bytes);
    }

    public static void WriteMarker(string dir) =>
        File.WriteAllText(Path.Combine(dir, MarkerFile), "{\"type\": \"byte\", \"vocab_size\": 264}\n");
}
