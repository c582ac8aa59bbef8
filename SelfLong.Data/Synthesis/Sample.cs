namespace SelfLong.Data.Synthesis;

/// <summary>Long input (the four steps) or long output (back-translation), PAPER.md.</summary>
public enum SampleKind { LongInput, LongOutput }

public enum SampleStatus { Completed, Failed }

/// <summary>
/// One training sample with every intermediate step kept for inspection: the seed chunk, the
/// instruction, the retrieved documents with scores, the summary tree and the response.
/// (RunId, Index) is unique, so a repeated job can never add a second copy.
/// </summary>
public sealed class Sample
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public int Index { get; set; }
    public SampleKind Kind { get; set; }
    public SampleStatus Status { get; set; }
    public string? Error { get; set; }

    /// <summary>Attempts made at this sample so far (a user's resume starts the count again).</summary>
    public int Attempts { get; set; } = 1;

    /// <summary>
    /// Set on a failed sample that will be tried again automatically, at about this time; null once
    /// it is completed or out of attempts. The run is not over while any sample waits for a retry.
    /// </summary>
    public DateTimeOffset? RetryAt { get; set; }

    public string? InstructionType { get; set; }
    public int TargetLength { get; set; }
    public long? SeedChunkId { get; set; }
    public string? SeedChunkText { get; set; }
    public string Instruction { get; set; } = "";

    /// <summary>JSON list of <see cref="RetrievedDocumentStep"/>.</summary>
    public string RetrievedJson { get; set; } = "[]";

    /// <summary>JSON list of levels of <see cref="SummaryNode"/>; level 0 are the chunks.</summary>
    public string SummaryTreeJson { get; set; } = "[]";
    public string Response { get; set; } = "";

    /// <summary>The training input: instruction plus the full retrieved documents.</summary>
    public string Input { get; set; } = "";

    /// <summary>The training target: the response (or, for long output, the document).</summary>
    public string Target { get; set; } = "";
    public int InputTokens { get; set; }
    public int TargetTokens { get; set; }
    public int LlmCalls { get; set; }
    public int CacheHits { get; set; }

    /// <summary>Set by a user who judged the sample unfit; rejected samples are not exported.</summary>
    public bool Rejected { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}

/// <summary>A retrieved document as the sample used it.</summary>
public sealed record RetrievedDocumentStep(long DocumentId, string Title, double Score, int TokenCount, int Rank);

/// <summary>
/// A node of the recursive summary tree. Level 0 nodes are chunks of the documents (their text is
/// in the input; a preview is kept); higher levels are summaries of the listed children.
/// </summary>
public sealed record SummaryNode(int Level, int Position, string Text, int TokenCount, IReadOnlyList<int> Children, long? DocumentId = null);
