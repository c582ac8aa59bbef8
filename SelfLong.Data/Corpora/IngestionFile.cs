namespace SelfLong.Data.Corpora;

public enum IngestionFileStatus { Pending, Running, Succeeded, PartlyFailed, Failed, Skipped }

/// <summary>One file of an ingestion run, with its own status, counters and problems.</summary>
public sealed class IngestionFile
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public IngestionRun? Run { get; set; }
    /// <summary>The name the user gave (never used as a path).</summary>
    public required string FileName { get; set; }
    /// <summary>
    /// A server file the run only reads (a bundled sample, a file given to `./selflong ingest`); it is
    /// never removed. Null for an upload and for a file that was refused.
    /// </summary>
    public string? StoredPath { get; set; }
    /// <summary>The upload in the database (upload_chunks); removed once ingested or when the run ends.</summary>
    public Guid? UploadId { get; set; }
    public long SizeBytes { get; set; }
    public IngestionFileStatus Status { get; set; } = IngestionFileStatus.Pending;
    public long Documents { get; set; }
    public long Duplicates { get; set; }
    public long Chunks { get; set; }
    public long Tokens { get; set; }
    public long Errors { get; set; }
    public string? Message { get; set; }

    public List<IngestionIssue> Issues { get; set; } = [];
}

public enum IngestionIssueSeverity { Warning, Error }

/// <summary>A problem with part of a file: where (entry, line, record, page) and what to do about it.</summary>
public sealed class IngestionIssue
{
    public long Id { get; set; }
    public long FileId { get; set; }
    public IngestionIssueSeverity Severity { get; set; }
    public required string Location { get; set; }
    public required string Message { get; set; }
}
