using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Security.Cryptography;
using System.Text;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// An in-memory corpus of generated ~2k-token documents for the synthesis benchmark, so it needs no
/// ingested corpus and measures orchestration, not retrieval. Search returns a fixed-score run of
/// documents chosen by the query's hash.
/// </summary>
public sealed class SyntheticCorpusRetriever : ICorpusRetriever
{
    private static readonly string[] Words =
        ("whale ship captain sea storm harbour oil lamp crew voyage north ice trade port sail mast deck boat harpoon " +
         "island coast wind wave night morning letter record history town market price cargo barrel journey").Split(' ');

    private readonly List<CorpusDocument> documents = [];

    public SyntheticCorpusRetriever(ITokenCounter tokens, int documentCount = 160, int wordsPerDocument = 1500)
    {
        var random = new Random(1);
        for (var d = 0; d < documentCount; d++)
        {
            var text = new StringBuilder();
            for (var w = 0; w < wordsPerDocument; w++)
            {
                text.Append(Words[random.Next(Words.Length)]).Append(w % 14 == 13 ? ". " : " ");
            }
            var body = text.ToString().Trim();
            documents.Add(new CorpusDocument(d + 1, $"Document {d + 1}", body, tokens.CountTokens(body)));
        }
    }

    public Task<IReadOnlyList<RetrievedChunk>> SearchAsync(long corpusId, string query, int topK, RetrievalMode mode = RetrievalMode.Hybrid, CancellationToken ct = default)
    {
        var start = (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(query))) % documents.Count);
        IReadOnlyList<RetrievedChunk> hits = Enumerable.Range(0, Math.Min(topK, documents.Count))
            .Select(i => documents[(start + i) % documents.Count])
            .Select((d, i) => new RetrievedChunk(d.DocumentId * 1000, d.DocumentId, d.Title, 0, d.Text[..200], 50, 1.0 / (1 + i)))
            .ToList();
        return Task.FromResult(hits);
    }

    public Task<RetrievedChunk?> RandomChunkAsync(long corpusId, Random random, CancellationToken ct = default)
    {
        var d = documents[random.Next(documents.Count)];
        return Task.FromResult<RetrievedChunk?>(new RetrievedChunk(d.DocumentId * 1000, d.DocumentId, d.Title, 0, d.Text[..1000], 250, 0));
    }

    public Task<CorpusDocument?> GetDocumentAsync(long documentId, CancellationToken ct = default) =>
        Task.FromResult(documents.FirstOrDefault(d => d.DocumentId == documentId));
}

public static class SyntheticSynthesis
{
    /// <summary>The real synthesis executor over a <see cref="SyntheticCorpusRetriever"/>: samples run in this process, no corpus ingested.</summary>
    public static SynthesisExecutor Executor(IServiceProvider services)
    {
        var corpus = new SyntheticCorpusRetriever(services.GetRequiredService<ITokenCounter>());
        var synthesizer = new SampleSynthesizer(corpus, new InstructionGenerator(corpus), new RelevantDocumentRetriever(corpus), new ResponseGenerator());
        return new SynthesisExecutor(services.GetRequiredService<IDbContextFactory<SelfLong.Data.SelfLongDbContext>>(), synthesizer,
            services.GetRequiredService<SynthesisModelFactory>(), services.GetRequiredService<Progress.ProgressPublisher>(),
            services.GetRequiredService<ILogger<SynthesisExecutor>>(), services.GetRequiredService<ISampleJobQueue>(),
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SynthesisOptions>>());
    }
}
