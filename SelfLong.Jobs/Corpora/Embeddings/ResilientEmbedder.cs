using System.ClientModel;
using Microsoft.Extensions.AI;
using SelfLong.Jobs.ModelCalls;

namespace SelfLong.Jobs.Corpora.Embeddings;

/// <summary>
/// Sends texts to a remote embedder in batches, each batch under the one <see cref="ModelCallPolicy"/>
/// (retries of server errors, rate limits, timeouts, malformed answers); refusals such as a wrong
/// API key fail at once with a message that says so. Checks every vector has the corpus's dimension.
/// </summary>
public sealed class ResilientEmbedder(IEmbeddingGenerator<string, Embedding<float>> inner, int dimension, int batchSize,
    ModelCallPolicy policy, ModelCallTarget target)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var batch in values.Chunk(Math.Max(1, batchSize)))
        {
            var embeddings = await WithRetriesAsync(batch, options, cancellationToken);
            if (embeddings.Count != batch.Length)
                throw new InvalidOperationException($"The embeddings endpoint returned {embeddings.Count} vectors for {batch.Length} texts.");
            foreach (var embedding in embeddings)
            {
                if (embedding.Vector.Length != dimension)
                    throw new InvalidOperationException(
                        $"The embeddings endpoint returned {embedding.Vector.Length} dimensions; the corpus records {dimension}. Re-embed the corpus to change it.");
                result.Add(embedding);
            }
        }
        return result;
    }

    private async Task<GeneratedEmbeddings<Embedding<float>>> WithRetriesAsync(string[] batch,
        EmbeddingGenerationOptions? options, CancellationToken ct)
    {
        try
        {
            return await policy.ExecuteAsync(target, attempt => base.GenerateAsync(batch, options, attempt), ct);
        }
        catch (ModelCallFailedException ex) when (ex.InnerException is ClientResultException { Status: 401 or 403 } refused)
        {
            throw new InvalidOperationException($"The embeddings endpoint refused the request ({refused.Status}): check the API key.", ex);
        }
        catch (ModelCallFailedException ex) when (ex.InnerException is ClientResultException { Status: >= 400 and < 500 } rejected)
        {
            throw new InvalidOperationException($"The embeddings endpoint rejected the request ({rejected.Status}): {rejected.Message}", ex);
        }
    }
}
