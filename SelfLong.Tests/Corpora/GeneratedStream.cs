using System.Text;

namespace SelfLong.Tests.Corpora;

/// <summary>
/// A read-only stream of <c>head</c>, then <c>fillLength</c> copies of one byte, then <c>tail</c>,
/// made as it is read: a gigabyte record costs no memory of its own. Reads complete at once, so an
/// async reader stays on the test's thread (its allocations can be counted there). Can cancel a
/// token once a number of bytes has been read.
/// </summary>
public sealed class GeneratedStream(string head, byte fill, long fillLength, string tail) : Stream
{
    private readonly byte[] headBytes = Encoding.UTF8.GetBytes(head);
    private readonly byte[] tailBytes = Encoding.UTF8.GetBytes(tail);
    private long position;

    public (long Bytes, CancellationTokenSource Source)? CancelAfter { get; init; }

    public override long Length => headBytes.Length + fillLength + tailBytes.Length;
    public override long Position { get => position; set => throw new NotSupportedException(); }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var written = 0;
        while (written < buffer.Length && position < Length)
        {
            var target = buffer[written..];
            int n;
            if (position < headBytes.Length)
            {
                n = Math.Min(target.Length, headBytes.Length - (int)position);
                headBytes.AsSpan((int)position, n).CopyTo(target);
            }
            else if (position < headBytes.Length + fillLength)
            {
                n = (int)Math.Min(target.Length, headBytes.Length + fillLength - position);
                target[..n].Fill(fill);
            }
            else
            {
                var at = (int)(position - headBytes.Length - fillLength);
                n = Math.Min(target.Length, tailBytes.Length - at);
                tailBytes.AsSpan(at, n).CopyTo(target);
            }
            written += n;
            position += n;
        }
        if (CancelAfter is { } after && position >= after.Bytes) after.Source.Cancel();
        return written;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
