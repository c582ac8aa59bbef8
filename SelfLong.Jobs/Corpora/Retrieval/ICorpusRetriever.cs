namespace SelfLong.Jobs.Corpora.Retrieval;

public enum RetrievalMode { Vector, FullText, Hybrid }

/// <summary>One chunk found for a query, with the document it belongs to and its score.</summary>
public sealed record RetrievedChunk(
    long ChunkId, long DocumentId, string DocumentTitle, int ChunkIndex, string Text, int TokenCount, double Score);

/// <summary>A whole document of a corpus, as synthesis puts it into a sample.</summary>
public sealed record CorpusDocument(long DocumentId, string Title, string Text, int TokenCount);

/// <summary>
/// The text retriever of the method (PAPER.md, "Data synthesis"): top-k over one corpus, plus the
/// random seed chunk that goes in front of every instruction-generation prompt.
/// </summary>
public interface ICorpusRetriever
{
    Task<IReadOnlyList<RetrievedChunk>> SearchAsync(long corpusId, string query, int topK,
        RetrievalMode mode = RetrievalMode.Hybrid, CancellationToken ct = default);

    /// <summary>A chunk drawn uniformly from the corpus with the given random source (reproducible).</summary>
    Task<RetrievedChunk?> RandomChunkAsync(long corpusId, Random random, CancellationToken ct = default);

    Task<CorpusDocument?> GetDocumentAsync(long documentId, CancellationToken ct = default);
}
