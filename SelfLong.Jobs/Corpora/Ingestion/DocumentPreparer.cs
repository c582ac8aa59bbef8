using Microsoft.Extensions.AI;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Chunking;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Extraction;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// Counts tokens, chunks and embeds a batch of documents. Tokenizing and the lexical embedder run
/// on one thread per core, no more: the thread pool keeps more threads than cores ready
/// (ThreadPoolMinThreads), and the extra ones only queue on the tokenizer's cache lock: in a trace
/// of one ingestion on 2 cores, most of the tokenizer's time was that wait. A remote embedder gets
/// all the batch's chunks (it batches requests itself).
/// </summary>
public sealed class DocumentPreparer(Corpus corpus, ITokenCounter tokens, IEmbeddingGenerator<string, Embedding<float>> embedder)
{
    private readonly SentenceChunker chunker = new(tokens, corpus.ChunkTokens, corpus.ChunkOverlapTokens);

    public async Task<List<PreparedDocument>> PrepareAsync(IReadOnlyList<(ExtractedDocument Document, byte[] Hash)> batch, CancellationToken ct)
    {
        var lexical = embedder as LexicalEmbedder;
        var prepared = new PreparedDocument[batch.Count];
        var chunkLists = new List<TextChunk>[batch.Count];
        var embeddings = new float[]?[batch.Count][];
        Parallel.For(0, batch.Count, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var chunked = chunker.Chunk(batch[i].Document.Text, ct);
            chunkLists[i] = chunked.Chunks;
            if (lexical is not null)
                embeddings[i] = chunkLists[i].Select(c => NonZero(lexical.Embed(c.Text))).ToArray();
            prepared[i] = Prepared(batch[i], (int)Math.Min(int.MaxValue, chunked.TokenCount), []);
        });

        if (lexical is null)
        {
            var texts = chunkLists.SelectMany(c => c.Select(x => x.Text)).ToList();
            var vectors = texts.Count == 0 ? [] : await embedder.GenerateAsync(texts, cancellationToken: ct);
            var next = 0;
            for (var i = 0; i < batch.Count; i++)
                embeddings[i] = chunkLists[i].Select(_ => NonZero(vectors[next++].Vector.ToArray())).ToArray();
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var chunks = chunkLists[i].Select((c, k) => new PreparedChunk(c.Index, c.Text, c.TokenCount, embeddings[i][k])).ToList();
            prepared[i] = prepared[i] with { Chunks = chunks };
        }
        return [.. prepared];
    }

    private static PreparedDocument Prepared((ExtractedDocument Document, byte[] Hash) item, int tokenCount, IReadOnlyList<PreparedChunk> chunks) =>
        new(item.Document.Title, item.Document.Text, item.Hash, tokenCount, item.Document.Location, item.Document.HadInvalidUtf8, chunks);

    /// <summary>Cosine distance to a zero vector is undefined; such chunks are stored without an embedding.</summary>
    private static float[]? NonZero(float[] vector) => vector.Any(x => x != 0) ? vector : null;
}
