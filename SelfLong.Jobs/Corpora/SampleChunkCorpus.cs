using System.Diagnostics;
using Npgsql;
using SelfLong.Jobs.Corpora.Chunking;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Corpora;

/// <summary>
/// The large corpus of `bench corpus`: any number of chunks of a real chunk size, made from the two
/// samples, embedded by the lexical embedder, written by the ingestion's own COPY writer, then
/// indexed (both indexes at once, <see cref="LoadIndexes"/>) and tuned once, as ingestion does. The
/// samples hold about 10,000 such chunks, so each chunk joins two runs of consecutive sentences from
/// places drawn with a fixed seed: prose like the samples', rarely repeated, the same corpus on every run.
/// </summary>
public static class SampleChunkCorpus
{
    private const int ChunksPerDocument = 16;
    private const int DocumentsPerBatch = 256;
    /// <summary>Sentence pieces: at most this many tokens each, so chunks can end near their size.</summary>
    private const int PieceTokens = 32;

    /// <param name="IndexSteps">Each index build's seconds; where the two run at once, <paramref name="IndexSeconds"/> is less than their sum.</param>
    public sealed record Written(long Chunks, int Documents, double WriteSeconds, double IndexSeconds, string IndexSteps, EfSearchTuning? Tuning);

    public static async Task<Written> WriteAsync(NpgsqlDataSource dataSource, long corpusId, int dimension, long chunks, int chunkTokens,
        CorporaOptions options, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var pieces = Pieces();
        var embedder = new LexicalEmbedder(dimension);
        var documents = (int)((chunks + ChunksPerDocument - 1) / ChunksPerDocument);
        var batches = (documents + DocumentsPerBatch - 1) / DocumentsPerBatch;
        long written = 0;
        var watch = Stopwatch.StartNew();
        // The next batch is made and embedded while the database takes the current one.
        var next = Task.Run(() => Batch(pieces, embedder, 0, documents, chunks, chunkTokens), ct);
        for (var b = 0; b < batches; b++)
        {
            var batch = await next;
            if (b + 1 < batches)
            {
                var following = b + 1;
                next = Task.Run(() => Batch(pieces, embedder, following, documents, chunks, chunkTokens), ct);
            }
            written += (await CorpusCopyWriter.WriteAsync(connection, corpusId, null, dimension, batch, ct)).Chunks;
        }
        await ChunkTableSettle.SettleAsync(connection, corpusId, ct);
        await CorpusCommonWords.MeasureAndStoreAsync(connection, corpusId, options.FullTextCommonShare, ct);
        var writeSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        // Not a run: its steps are timed for the figures alone.
        var steps = new IngestionSteps(runId: null);
        await LoadIndexes.EnsureAsync(dataSource, connection, corpusId, dimension, options.HnswBuild, steps, ct);
        var indexSeconds = watch.Elapsed.TotalSeconds;
        var tuning = await HnswEfSearchTuner.TuneAndStoreAsync(dataSource, corpusId, embedder, options, ct);
        return new Written(written, documents, writeSeconds, indexSeconds, steps.ToString(), tuning);
    }

    /// <summary>The samples cut into runs of whole sentences of at most <see cref="PieceTokens"/> tokens, in order.</summary>
    private static List<TextChunk> Pieces()
    {
        var chunker = new SentenceChunker(TiktokenTokenCounter.Default, PieceTokens, 0);
        var texts = new List<string>();
        foreach (var name in new[] { "sotu.jsonl.gz", "moby-dick.jsonl.gz" })
        {
            using var file = File.OpenRead(Path.Combine(DemoCorpora.SamplesDirectory, name));
            texts.AddRange(EvaluationText.JsonlTexts(file));
        }
        return texts.AsParallel().AsOrdered().SelectMany(t => chunker.Split(t)).Where(p => p.TokenCount > 0).ToList();
    }

    private static List<PreparedDocument> Batch(List<TextChunk> pieces, LexicalEmbedder embedder, int batch, int documents, long chunks,
        int chunkTokens)
    {
        var random = new Random(2025 + batch);
        var first = batch * DocumentsPerBatch;
        var count = Math.Min(DocumentsPerBatch, documents - first);
        var made = new List<(string Text, int Tokens)>[count];
        for (var d = 0; d < count; d++)
        {
            var inDocument = (int)Math.Min(ChunksPerDocument, chunks - (long)(first + d) * ChunksPerDocument);
            made[d] = Enumerable.Range(0, inDocument).Select(_ => Chunk(pieces, random, chunkTokens)).ToList();
        }
        var result = new PreparedDocument[count];
        Parallel.For(0, count, d =>
        {
            var prepared = made[d].Select((c, i) =>
            {
                var vector = embedder.Embed(c.Text);
                return new PreparedChunk(i, c.Text, c.Tokens, vector.Any(x => x != 0) ? vector : null);
            }).ToList();
            var text = string.Join("\n\n", made[d].Select(c => c.Text));
            result[d] = new PreparedDocument($"sample {first + d + 1}", text, CorpusCopyWriter.Hash(text), made[d].Sum(c => c.Tokens),
                "bench corpus", false, prepared);
        });
        return [.. result];
    }

    /// <summary>Two runs of consecutive pieces from random places, filling the chunk up to its size.</summary>
    private static (string Text, int Tokens) Chunk(List<TextChunk> pieces, Random random, int chunkTokens)
    {
        var parts = new List<string>();
        var tokens = 0;
        foreach (var budget in new[] { chunkTokens / 2, chunkTokens })
        {
            for (var p = random.Next(pieces.Count); p < pieces.Count && tokens + pieces[p].TokenCount <= budget; p++)
            {
                parts.Add(pieces[p].Text.Trim());
                tokens += pieces[p].TokenCount;
            }
        }
        if (parts.Count == 0)
        {
            var piece = pieces[random.Next(pieces.Count)];
            return (piece.Text.Trim(), piece.TokenCount);
        }
        return (string.Join(' ', parts), tokens);
    }
}
