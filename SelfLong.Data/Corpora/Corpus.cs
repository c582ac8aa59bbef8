namespace SelfLong.Data.Corpora;

/// <summary>How a corpus turns chunk text into vectors.</summary>
public enum EmbedderKind
{
    /// <summary>The built-in lexical embedder: hashed word and bigram features, no model needed.</summary>
    Lexical,
    /// <summary>An OpenAI-compatible <c>/v1/embeddings</c> endpoint.</summary>
    OpenAi,
}

/// <summary>A document collection (PAPER.md: "a document collection"), with its chunking and embedder settings.</summary>
public sealed class Corpus
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";

    public EmbedderKind EmbedderKind { get; set; } = EmbedderKind.Lexical;
    /// <summary>Base URL of an OpenAI-compatible API (ending in /v1); null for the built-in embedder.</summary>
    public string? EmbedderBaseUrl { get; set; }
    public string? EmbedderModel { get; set; }
    /// <summary>The API key, protected with ASP.NET Core Data Protection; never shown or logged.</summary>
    public string? EmbedderApiKeyProtected { get; set; }
    /// <summary>Length of every vector stored for this corpus.</summary>
    public int EmbeddingDimension { get; set; }

    /// <summary>Chunk size in tokens; chunks end at sentence boundaries when one falls inside it.</summary>
    public int ChunkTokens { get; set; } = 256;
    /// <summary>Tokens of trailing sentences repeated at the start of the next chunk.</summary>
    public int ChunkOverlapTokens { get; set; } = 32;
    /// <summary>Field holding the text in JSON, JSONL, CSV and Parquet records.</summary>
    public string TextField { get; set; } = "text";
    /// <summary>Field holding the title in records; the file name and record number when missing.</summary>
    public string TitleField { get; set; } = "title";

    /// <summary>
    /// HNSW ef_search chosen for this corpus after its index was last built or grown (the smallest
    /// of a ladder reaching the target recall@10 on queries from its own chunks, else the largest); searches use
    /// it in place of the configured one. Null until tuned.
    /// </summary>
    public int? HnswEfSearch { get; set; }
    /// <summary>
    /// Whether the corpus's HNSW index holds its vectors cast to halfvec, as every index built now
    /// does (searches then order by that cast and re-rank by exact distance). An index built before
    /// holds the full vectors and is kept until the corpus is re-embedded. Only for up to 2,000
    /// dimensions: larger vectors are stored as halfvec or binary-quantized anyway. Set where the
    /// index is built (ChunkVectorIndex); a new corpus starts true, as its index will be built.
    /// </summary>
    public bool VectorIndexHalf { get; set; } = true;
    /// <summary>Recall@10 against exact search that <see cref="HnswEfSearch"/> reached when it was chosen.</summary>
    public double? HnswRecallAt10 { get; set; }
    /// <summary>How many queries (a few words of as many of the corpus's chunks) that measurement took.</summary>
    public int? HnswTuneQueries { get; set; }

    /// <summary>
    /// The lexemes in more than <see cref="FullTextCommonShare"/> of a sample of this corpus's chunks,
    /// most frequent first: the bounded full-text list takes no candidates from them. Measured after
    /// each ingestion; null until then.
    /// </summary>
    public string[]? FullTextCommonWords { get; set; }
    /// <summary>The share <see cref="FullTextCommonWords"/> was measured at (the configured one then).</summary>
    public double? FullTextCommonShare { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;

    public List<Document> Documents { get; set; } = [];
}
