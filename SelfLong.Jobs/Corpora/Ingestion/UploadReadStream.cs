using Npgsql;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>An upload read piece by piece from upload_chunks (<see cref="UploadStore.OpenRead"/>): forward only.</summary>
internal sealed class UploadReadStream(NpgsqlDataSource dataSource, Guid id) : Stream
{
    private byte[] piece = [];
    private int offset;
    private int next;
    private bool ended;
    private long read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => read; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        while (offset == piece.Length)
        {
            if (ended) return 0;
            await using var command = dataSource.CreateCommand("SELECT data FROM upload_chunks WHERE upload_id = $1 AND seq = $2");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            command.Parameters.Add(new NpgsqlParameter { Value = next++ });
            if (await command.ExecuteScalarAsync(ct) is byte[] data) (piece, offset) = (data, 0);
            else ended = true;
        }
        var n = Math.Min(buffer.Length, piece.Length - offset);
        piece.AsMemory(offset, n).CopyTo(buffer);
        offset += n;
        read += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    // The extractors read asynchronously; a synchronous reader (a library that only reads) gets the same bytes.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
