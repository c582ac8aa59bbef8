using SelfLong.Data.Runs;

namespace SelfLong.Data.Corpora;

/// <summary>One upload into a corpus, processed by a Hangfire job on the ingest queue; counters are live.</summary>
public sealed class IngestionRun : IJobRun
{
    public long Id { get; set; }
    public long CorpusId { get; set; }
    public Corpus? Corpus { get; set; }
    public RunStatus Status { get; set; } = RunStatus.Queued;
    public string? HangfireJobId { get; set; }
    public string? TraceId { get; set; }
    /// <summary>Set by the user; the job stops after the batch in hand (other processes see it through the row).</summary>
    public bool CancelRequested { get; set; }

    public int Files { get; set; }
    public int FilesDone { get; set; }
    public long Documents { get; set; }
    public long Duplicates { get; set; }
    public long Chunks { get; set; }
    public long Tokens { get; set; }
    public long Errors { get; set; }
    public long BytesRead { get; set; }
    public string? Message { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    public List<IngestionFile> FileList { get; set; } = [];
}
