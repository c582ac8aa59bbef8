namespace SelfLong.Data.Corpora;

/// <summary>One document of a corpus: the text extracted from a file or a record.</summary>
public sealed class Document
{
    public long Id { get; set; }
    public long CorpusId { get; set; }
    public Corpus? Corpus { get; set; }
    public required string Title { get; set; }
    public required string Text { get; set; }
    /// <summary>SHA-256 of the text; a second document with the same hash in a corpus is skipped.</summary>
    public required byte[] ContentHash { get; set; }
    public int TokenCount { get; set; }
    /// <summary>Where it came from: file name, archive entry, record or page.</summary>
    public string Source { get; set; } = "";
    /// <summary>The text had invalid UTF-8 that was replaced with U+FFFD.</summary>
    public bool HadInvalidUtf8 { get; set; }
    public long? IngestionRunId { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}
