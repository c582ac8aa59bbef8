using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.ModelCalls;

namespace SelfLong.Jobs.Corpora.Embeddings;

/// <summary>
/// Makes the embedder a corpus records: the built-in lexical one, or an OpenAI-compatible
/// endpoint (through Microsoft.Extensions.AI) whose API key is kept protected by Data Protection.
/// </summary>
public sealed class CorpusEmbedders(IDataProtectionProvider protection, IOptions<CorporaOptions> options, ModelCallPolicy policy,
    OutboundAddresses? outbound = null, OutboundConnections? connections = null)
{
    private readonly IDataProtector protector = protection.CreateProtector("SelfLong.Corpora.EmbedderApiKey");

    public string Protect(string apiKey) => protector.Protect(apiKey);

    public IEmbeddingGenerator<string, Embedding<float>> Create(Corpus corpus) => corpus.EmbedderKind switch
    {
        EmbedderKind.Lexical => new LexicalEmbedder(corpus.EmbeddingDimension),
        _ => CreateRemote(corpus.EmbedderBaseUrl!, corpus.EmbedderModel!,
            corpus.EmbedderApiKeyProtected is { } key ? protector.Unprotect(key) : null, corpus.EmbeddingDimension),
    };

    /// <summary>Why an embeddings URL may not be used (a link-local or metadata address), or null: the same rule as model URLs.</summary>
    public Task<string?> AddressProblemAsync(string baseUrl, CancellationToken ct) => (outbound ?? OutboundAddresses.Default).ProblemAsync(baseUrl, ct);

    /// <summary>Asks the endpoint for one vector to learn its dimension (when the user gave none).</summary>
    public async Task<int> ProbeDimensionAsync(string baseUrl, string model, string? apiKey, CancellationToken ct)
    {
        using var client = Client(baseUrl, model, apiKey, options.Value.EmbeddingRequestTimeout);
        var embedding = await client.GenerateAsync("dimension probe", cancellationToken: ct);
        return embedding.Vector.Length;
    }

    private ResilientEmbedder CreateRemote(string baseUrl, string model, string? apiKey, int dimension)
    {
        var o = options.Value;
        var target = new ModelCallTarget($"embeddings:{baseUrl.TrimEnd('/')}:{model}", $"Embeddings endpoint {model} at {baseUrl}", o.EmbeddingRequestTimeout)
        {
            Operation = "embeddings",
            // The host alone: a URL may carry credentials, which never reach traces.
            Endpoint = new Uri(baseUrl).Authority,
            Model = model,
        };
        return new ResilientEmbedder(Client(baseUrl, model, apiKey, o.EmbeddingRequestTimeout), dimension, o.EmbeddingBatchSize, policy, target);
    }

    private IEmbeddingGenerator<string, Embedding<float>> Client(string baseUrl, string model, string? apiKey, TimeSpan attemptTimeout)
    {
        // Retries and attempt timeouts are ModelCallPolicy's, so the SDK's own stay out of the way.
        var client = new OpenAIClient(new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "none" : apiKey),
            new OpenAIClientOptions
            {
                Endpoint = new Uri(baseUrl), RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = attemptTimeout + TimeSpan.FromMinutes(1),
                Transport = (connections ?? OutboundConnections.Default).Transport,
            });
        return client.GetEmbeddingClient(model).AsIEmbeddingGenerator();
    }
}
