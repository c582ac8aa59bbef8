namespace SelfLong.Jobs.Corpora.Storage;

/// <summary>A chunk ready to store: text, token count and embedding (null when the text has no features).</summary>
public sealed record PreparedChunk(int Index, string Text, int TokenCount, float[]? Embedding);

/// <summary>A document ready to store with its chunks.</summary>
public sealed record PreparedDocument(string Title, string Text, byte[] ContentHash, int TokenCount, string Source,
    bool HadInvalidUtf8, IReadOnlyList<PreparedChunk> Chunks);
