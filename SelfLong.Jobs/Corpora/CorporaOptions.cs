using SelfLong.Jobs.Corpora.Storage;
using System.ComponentModel.DataAnnotations;
using SelfLong.Jobs.Hosting;
namespace SelfLong.Jobs.Corpora;

/// <summary>Limits and places for corpus ingestion. Bound from <c>SelfLong:Corpora</c>.</summary>
public sealed class CorporaOptions
{
    public const string Section = "SelfLong:Corpora";

    /// <summary>
    /// How long an upload (kept in the database until ingested) no queued or running ingestion run names stays before it is
    /// removed (LeftoverSweeper): long, because an upload's run is recorded the moment it arrives.
    /// </summary>
    public TimeSpan OrphanedUploadGrace { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Largest single uploaded file.</summary>
    [ValidatedOptions.Positive]
    public long MaxFileBytes { get; set; } = 2L << 30;

    /// <summary>Largest upload request (all its files together).</summary>
    [ValidatedOptions.Positive]
    public long MaxUploadBytes { get; set; } = 16L << 30;

    /// <summary>Largest text of one document (a .txt, .html or .pdf, or one record).</summary>
    [ValidatedOptions.Positive]
    public long MaxDocumentBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Most text one Parquet row group may hold: a row group's column is decoded whole, so this
    /// bounds the memory one group takes (a larger group is skipped with a message).
    /// </summary>
    [ValidatedOptions.Positive]
    public long MaxRowGroupBytes { get; set; } = 512L << 20;

    /// <summary>Most bytes all archives of one file may expand to (zip-bomb guard).</summary>
    [ValidatedOptions.Positive]
    public long MaxExpandedBytes { get; set; } = 8L << 30;

    /// <summary>Highest expansion ratio of an archive entry above 1 MiB (zip-bomb guard).</summary>
    [Range(1.0, double.MaxValue)]
    public double MaxCompressionRatio { get; set; } = 200;

    /// <summary>Archives inside archives are opened this deep.</summary>
    [Range(0, 16)]
    public int MaxArchiveDepth { get; set; } = 3;

    /// <summary>Documents chunked, embedded and written per COPY batch.</summary>
    [Range(1, 100_000)]
    public int BatchDocuments { get; set; } = 64;

    /// <summary>
    /// Batches of one file written at once, each in a transaction and server process of its own
    /// (BatchWrites). More than the database server's cores gains nothing.
    /// </summary>
    [Range(1, 16)]
    public int WritesInFlight { get; set; } = 2;

    /// <summary>
    /// HNSW candidate list size for vector search (pgvector's hnsw.ef_search, at least 2k is used)
    /// in a corpus not tuned (<see cref="HnswTuneQueries"/>): higher is slower and closer to exact;
    /// `bench corpus` reports recall for several values.
    /// </summary>
    [Range(1, 1000)]
    public int HnswEfSearch { get; set; } = 300;

    /// <summary>
    /// Queries (a few words of each of a seeded sample of a corpus's chunks) searched after its index is built, to choose the
    /// corpus's own ef_search (HnswEfSearchTuner). 0 turns tuning off: every corpus then uses
    /// <see cref="HnswEfSearch"/>.
    /// </summary>
    [Range(0, 1000)]
    public int HnswTuneQueries { get; set; } = 32;

    /// <summary>Recall@10 against exact search that a corpus's tuned ef_search must reach (the smallest such is kept).</summary>
    [Range(0.0, 1.0)]
    public double HnswTuneTargetRecall { get; set; } = 0.95;

    /// <summary>
    /// The largest ef_search tuning may choose: a bound on a vector search's effort. A corpus that
    /// does not reach the target below it keeps it (and the recall it reached there).
    /// </summary>
    [Range(1, 1000)]
    public int HnswTuneMaxEfSearch { get; set; } = 1000;

    /// <summary>
    /// HNSW graph degree (pgvector's m) of a corpus's index when it is built: more links cost build
    /// time and index size and raise recall at a given ef_search. Applies to indexes built after a change.
    /// </summary>
    [Range(2, 100)]
    public int HnswM { get; set; } = ChunkVectorIndex.Build.Default.M;

    /// <summary>HNSW build candidate list (pgvector's ef_construction), at least twice <see cref="HnswM"/>; applies like it.</summary>
    [Range(4, 1000)]
    public int HnswEfConstruction { get; set; } = ChunkVectorIndex.Build.Default.EfConstruction;

    /// <summary>Memory an index build may hold (PostgreSQL's maintenance_work_mem for it), in MB.</summary>
    [Range(64, 1 << 20)]
    public int HnswBuildMemoryMb { get; set; } = ChunkVectorIndex.Build.Default.MemoryMb;

    /// <summary>Corpora of fewer chunks are indexed with pgvector's defaults (m 16, ef_construction 64) instead; see ChunkVectorIndex.Build.</summary>
    [Range(0, long.MaxValue)]
    public long HnswFromChunks { get; set; } = ChunkVectorIndex.Build.Default.FromChunks;

    public ChunkVectorIndex.Build HnswBuild => new(HnswM, Math.Max(HnswEfConstruction, 2 * HnswM), HnswBuildMemoryMb, HnswFromChunks);

    /// <summary>
    /// Full-text candidates ranked per query: up to this many chunks holding all the query's words
    /// but at most one, and as many holding any. Bounds a query's cost on a large corpus; `bench corpus` reports how
    /// often the bounded top 10 equals ranking every match.
    /// </summary>
    [Range(10, 1_000_000)]
    public int FullTextCandidates { get; set; } = 300;

    /// <summary>
    /// A word in more than this share of all chunks brings no full-text candidates by itself (it
    /// still counts in their rank): its GIN posting list grows with the corpus. 1 turns this off.
    /// </summary>
    [Range(0.0, 1.0)]
    public double FullTextCommonShare { get; set; } = 0.02;

    /// <summary>
    /// For embeddings over 4,000 dimensions (binary-quantized index): candidates taken from the
    /// index per result kept, then re-ranked by exact cosine distance.
    /// </summary>
    [Range(1, 100)]
    public int BinaryRerankFactor { get; set; } = 4;

    /// <summary>Texts per request to an OpenAI-compatible embeddings endpoint.</summary>
    [Range(1, 4096)]
    public int EmbeddingBatchSize { get; set; } = 64;

    /// <summary>Time for one embeddings request; retries follow SelfLong:ModelCalls.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan EmbeddingRequestTimeout { get; set; } = TimeSpan.FromSeconds(100);
}

public static class ByteSize
{
    /// <summary>A size for messages: "512 KiB", "2 GiB".</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.#} KiB",
        _ => $"{bytes} bytes",
    };
}
