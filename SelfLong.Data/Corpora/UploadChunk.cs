namespace SelfLong.Data.Corpora;

/// <summary>
/// One piece (up to 1 MiB) of an uploaded file waiting for its ingestion run. Uploads live in the
/// database, not in a folder of the process that received them, so a worker on any machine reads
/// them; they are written and read piece by piece, so no whole file is ever held in memory.
/// </summary>
public sealed class UploadChunk
{
    public Guid UploadId { get; set; }
    /// <summary>0, 1, 2, ...: the order of the pieces. Piece 0 always exists, empty for an empty file.</summary>
    public int Seq { get; set; }
    public required byte[] Data { get; set; }
    /// <summary>When the piece was written: the sweeper counts an upload's age from its newest piece.</summary>
    public DateTimeOffset WrittenAt { get; set; }
}
