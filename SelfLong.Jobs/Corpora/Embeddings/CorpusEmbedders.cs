using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI;
using SelfLong.Data.Corpora;

namespace SelfLong.Jobs.Corpora.Embeddings;

/// <summary>
/// Makes the embedder a corpus records: the built-in lexical one, or an OpenAI-compatible
/// endpoint (through Microsoft.Extensions.AI) whose API key is kept protected by Data Protection.
/// </summary>
public sealed class CorpusEmbedders(IDataProtectionProvider protection, IOptions<CorporaOptions> options, ILogger<CorpusEmbedders> logger)
{
    private readonly IDataProtector protector = protection.CreateProtector("SelfLong.Corpora.EmbedderApiKey");

    public string Protect(string apiKey) => protector.Protect(apiKey);

    public IEmbeddingGenerator<string, Embedding<float>> Create(Corpus corpus) => corpus.EmbedderKind switch
    {
        EmbedderKind.Lexical => new LexicalEmbedder(corpus.EmbeddingDimension),
        _ => CreateRemote(corpus.EmbedderBaseUrl!, corpus.EmbedderModel!,
            corpus.EmbedderApiKeyProtected is { } key ? protector.Unprotect(key) : null, corpus.EmbeddingDimension),
    };

    /// <summary>Asks the endpoint for one vector to learn its dimension (when the user gave none).</summary>
    public async Task<int> ProbeDimensionAsync(string baseUrl, string model, string? apiKey, CancellationToken ct)
    {
        using var client = Client(baseUrl, model, apiKey);
        var embedding = await client.GenerateAsync("dimension probe", cancellationToken: ct);
        return embedding.Vector.Length;
    }

    private ResilientEmbedder CreateRemote(string baseUrl, string model, string? apiKey, int dimension)
    {
        var o = options.Value;
        return new ResilientEmbedder(Client(baseUrl, model, apiKey), dimension, o.EmbeddingBatchSize, o.EmbeddingAttempts,
            o.EmbeddingRetryDelay, o.EmbeddingRequestTimeout, logger);
    }

    private static IEmbeddingGenerator<string, Embedding<float>> Client(string baseUrl, string model, string? apiKey)
    {
        // Retries are ours (ResilientEmbedder), so the SDK's own policy is off.
        var client = new OpenAIClient(new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "none" : apiKey),
            new OpenAIClientOptions { Endpoint = new Uri(baseUrl), RetryPolicy = new ClientRetryPolicy(0) });
        return client.GetEmbeddingClient(model).AsIEmbeddingGenerator();
    }
}
