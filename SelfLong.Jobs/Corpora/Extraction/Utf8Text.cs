using System.Text;
using System.Text.Unicode;

namespace SelfLong.Jobs.Corpora.Extraction;

/// <summary>
/// UTF-8 decoding that never throws: invalid bytes become U+FFFD and are counted, so a document
/// can be flagged instead of refused. NUL characters are dropped (PostgreSQL text cannot hold them).
/// </summary>
public static class Utf8Text
{
    public static (string Text, int Replaced) Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        if (Utf8.IsValid(bytes)) return (Clean(Encoding.UTF8.GetString(bytes)), 0);
        var encoding = CountingEncoding(out var fallback);
        return (Clean(encoding.GetString(bytes)), fallback.Count);
    }

    /// <summary>A UTF-8 encoding whose fallback counts replaced sequences.</summary>
    public static Encoding CountingEncoding(out CountingDecoderFallback fallback)
    {
        var encoding = (Encoding)new UTF8Encoding(false).Clone();
        encoding.DecoderFallback = fallback = new CountingDecoderFallback();
        return encoding;
    }

    public static string Clean(string text) => text.Contains('\0') ? text.Replace("\0", "") : text;

    public sealed class CountingDecoderFallback : DecoderFallback
    {
        public int Count { get; set; }

        public override int MaxCharCount => 1;

        public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer(this);

        private sealed class Buffer(CountingDecoderFallback owner) : DecoderFallbackBuffer
        {
            private int remaining;

            public override bool Fallback(byte[] bytesUnknown, int index)
            {
                owner.Count++;
                remaining = 1;
                return true;
            }

            public override char GetNextChar()
            {
                if (remaining == 0) return '\0';
                remaining--;
                return '\uFFFD';
            }

            public override bool MovePrevious()
            {
                if (remaining > 0) return false;
                remaining++;
                return true;
            }

            public override int Remaining => remaining;

            public override void Reset() => remaining = 0;
        }
    }
}
