using Hangfire;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Jobs.Corpora.Embeddings;

/// <summary>Hangfire shell around <see cref="CorpusReembedder"/> on the ingest queue.</summary>
public sealed class CorpusReembedJob(CorpusReembedder reembedder)
{
    [Queue(JobQueues.Ingest)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(long corpusId, EmbedderKind kind, string? baseUrl, string? model, string? protectedKey, int dimension, CancellationToken ct) =>
        reembedder.RunAsync(corpusId, kind, baseUrl, model, protectedKey, dimension, ct);
}
