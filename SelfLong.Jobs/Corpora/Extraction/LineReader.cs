using System.Buffers;

namespace SelfLong.Jobs.Corpora.Extraction;

/// <summary>One line of a file: its bytes, or null when it was longer than the limit (then only its length is known).</summary>
internal readonly record struct Line(int Number, ReadOnlyMemory<byte>? Bytes, long Length);

/// <summary>
/// Splits a stream into lines the way <see cref="StreamReader.ReadLine"/> does ("\n", "\r\n" or
/// "\r"), on bytes: a line break byte never occurs inside a UTF-8 sequence. No more than
/// <c>limit</c> bytes of a line are ever held; the rest of a longer line is read past and only
/// counted, so a 2 GB line costs no more memory than a short one. The bytes of a line are valid
/// until the next read.
/// </summary>
internal sealed class LineReader(Stream stream, long limit)
{
    private readonly byte[] buffer = new byte[1 << 16];
    private readonly ArrayBufferWriter<byte> line = new();
    private int position;
    private int filled;
    private bool afterCarriageReturn;
    private int number;

    public async ValueTask<Line?> ReadAsync(CancellationToken ct)
    {
        line.ResetWrittenCount();
        long length = 0;
        var started = false;
        while (true)
        {
            if (position == filled)
            {
                filled = await stream.ReadAsync(buffer, ct);
                position = 0;
                if (filled == 0) return started ? Finish(length) : null;
            }
            if (afterCarriageReturn)
            {
                afterCarriageReturn = false;
                if (buffer[position] == '\n')
                {
                    position++;
                    continue;
                }
            }
            started = true;
            var rest = buffer.AsSpan(position, filled - position);
            var end = rest.IndexOfAny((byte)'\n', (byte)'\r');
            var take = end < 0 ? rest.Length : end;
            if (length + take <= limit) line.Write(rest[..take]);
            length += take;
            position += take;
            if (end < 0) continue;
            afterCarriageReturn = buffer[position] == '\r';
            position++;
            return Finish(length);
        }
    }

    // The cast keeps null a null: a bare null would become an empty ReadOnlyMemory through its array conversion.
    private Line Finish(long length) => new(++number, length <= limit ? line.WrittenMemory : (ReadOnlyMemory<byte>?)null, length);
}
