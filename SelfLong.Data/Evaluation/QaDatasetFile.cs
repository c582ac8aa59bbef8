namespace SelfLong.Data.Evaluation;

/// <summary>An uploaded QA data set for RULER's qa_1 (SQuAD v2 dev) or qa_2 (HotpotQA dev, distractor), gzip-compressed JSON.</summary>
public sealed class QaDatasetFile
{
    public long Id { get; set; }
    /// <summary>"squad" or "hotpotqa".</summary>
    public string Kind { get; set; } = "";
    public string FileName { get; set; } = "";
    public int Questions { get; set; }
    public byte[] CompressedJson { get; set; } = [];
    public DateTimeOffset UploadedAt { get; set; } = DateTimeOffset.UtcNow;
}
