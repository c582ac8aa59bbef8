namespace SelfLong.Data.Training;

/// <summary>
/// A training data file uploaded through the dashboard or the API (chat or <c>{"text"}</c> JSONL,
/// optionally gzip). The file lies in the storage root's <c>data-files</c> folder, which every worker
/// shares; a run names it by id, so a user never types a server path for data they uploaded.
/// </summary>
public sealed class TrainingDataFile
{
    public long Id { get; set; }
    /// <summary>The name the user gave (a label, never used as a path).</summary>
    public required string FileName { get; set; }
    /// <summary>Where SelfLong stored it; the path a run's spec records.</summary>
    public required string StoredPath { get; set; }
    public long SizeBytes { get; set; }
    /// <summary>Samples found when the upload was checked, line by line.</summary>
    public int Samples { get; set; }
    public DateTimeOffset UploadedAt { get; set; } = DateTimeOffset.UtcNow;
}
