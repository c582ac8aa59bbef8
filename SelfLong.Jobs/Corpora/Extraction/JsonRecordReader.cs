using System.Buffers;

namespace SelfLong.Jobs.Corpora.Extraction;

/// <summary>One record of a JSON file: its bytes, or null when it was longer than the limit (then only its length is known).</summary>
internal readonly record struct JsonRecord(int Number, ReadOnlyMemory<byte>? Bytes, long Length);

/// <summary>
/// Splits a JSON file into its records without parsing them: the elements of a top-level array,
/// or top-level values one after another (Hugging Face's to_json writes JSON Lines into .json
/// files). It only follows strings, escapes and brackets, so no more than <c>limit</c> bytes of a
/// record are ever held and a longer one is read past and counted; each record is then parsed on
/// its own. The bytes of a record are valid until the next read.
/// </summary>
internal sealed class JsonRecordReader(Stream stream, long limit)
{
    private enum Layout { Unknown, Array, Values, Ended }

    private enum Kind { Container, String, Scalar }

    private readonly byte[] buffer = new byte[1 << 16];
    private readonly ArrayBufferWriter<byte> record = new();
    private int position;
    private int filled;
    private bool started;
    private Layout layout;
    private bool expectComma;
    private bool afterComma;

    /// <summary>Records read so far.</summary>
    public int Count { get; private set; }

    public async ValueTask<JsonRecord?> ReadAsync(CancellationToken ct)
    {
        // Between records: blank space, and in an array its brackets and commas.
        while (true)
        {
            if (!await FillAsync(ct))
            {
                if (layout == Layout.Array) throw Invalid("the file ends before the array's closing ']'");
                return null;
            }
            var b = buffer[position];
            if (IsBlank(b))
            {
                position++;
                continue;
            }
            if (layout == Layout.Unknown)
            {
                layout = b == '[' ? Layout.Array : Layout.Values;
                if (layout == Layout.Array)
                {
                    position++;
                    continue;
                }
            }
            if (layout == Layout.Ended) throw Invalid("there is more after the array's closing ']'");
            if (layout == Layout.Array && b == ']')
            {
                if (afterComma) throw Invalid("a ',' before the closing ']'");
                layout = Layout.Ended;
                position++;
                continue;
            }
            if (layout == Layout.Array && expectComma)
            {
                if (b != ',') throw Invalid("a ',' or ']' must follow a record");
                expectComma = false;
                afterComma = true;
                position++;
                continue;
            }
            if (b is (byte)',' or (byte)']' or (byte)'}') throw Invalid($"unexpected '{(char)b}'");
            break;
        }
        afterComma = false;
        expectComma = layout == Layout.Array;
        return await ReadRecordAsync(ct);
    }

    private async ValueTask<JsonRecord> ReadRecordAsync(CancellationToken ct)
    {
        record.ResetWrittenCount();
        long length = 0;
        var kind = buffer[position] switch { (byte)'{' or (byte)'[' => Kind.Container, (byte)'"' => Kind.String, _ => Kind.Scalar };
        var depth = 0;
        var inString = false;
        var escaped = false;
        while (true)
        {
            if (!await FillAsync(ct))
            {
                if (kind == Kind.Scalar) return Finish(length);
                throw Invalid("the file ends inside the next record");
            }
            var span = buffer.AsSpan(position, filled - position);
            var done = false;
            var i = 0;
            for (; i < span.Length && !done; i++)
            {
                var c = span[i];
                if (escaped)
                {
                    escaped = false;
                }
                else if (inString)
                {
                    // Most of a record is string bytes: jump to the next quote or backslash.
                    var next = span[i..].IndexOfAny((byte)'"', (byte)'\\');
                    if (next < 0)
                    {
                        i = span.Length - 1;
                        continue;
                    }
                    i += next;
                    if (span[i] == '\\') escaped = true;
                    else
                    {
                        inString = false;
                        done = kind == Kind.String;
                    }
                }
                else if (kind == Kind.Scalar)
                {
                    // A number or literal ends where blank space or punctuation begins; that byte is not part of it.
                    if (IsBlank(c) || c is (byte)',' or (byte)']' or (byte)'}' or (byte)'[' or (byte)'{' or (byte)'"')
                    {
                        done = true;
                        i--;
                    }
                }
                else if (c == '"') inString = true;
                else if (c is (byte)'{' or (byte)'[') depth++;
                else if (c is (byte)'}' or (byte)']') done = --depth == 0;
            }
            if (length + i <= limit) record.Write(span[..i]);
            length += i;
            position += i;
            if (done) return Finish(length);
        }
    }

    // The cast keeps null a null: a bare null would become an empty ReadOnlyMemory through its array conversion.
    private JsonRecord Finish(long length) => new(++Count, length <= limit ? record.WrittenMemory : (ReadOnlyMemory<byte>?)null, length);

    private async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        if (position < filled) return true;
        filled = await stream.ReadAsync(buffer, ct);
        position = 0;
        if (!started && filled >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF) position = 3;
        started = true;
        return position < filled;
    }

    private static bool IsBlank(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

    private ExtractionException Invalid(string reason) =>
        new($"The JSON is not valid after record {Count} ({reason}); the records before it were read.");
}
