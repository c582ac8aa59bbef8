using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace SelfLong.Jobs.Corpora.Embeddings;

/// <summary>
/// Sends texts to a remote embedder in batches and retries a failed batch with exponential
/// backoff (server errors, rate limits, timeouts, malformed answers); refusals such as a wrong
/// API key fail at once with a message that says so. Checks every vector has the corpus's dimension.
/// </summary>
public sealed class ResilientEmbedder(IEmbeddingGenerator<string, Embedding<float>> inner, int dimension, int batchSize,
    int attempts, TimeSpan firstDelay, TimeSpan requestTimeout, ILogger logger)
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
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(requestTimeout);
            try
            {
                return await base.GenerateAsync(batch, options, timeout.Token);
            }
            catch (ClientResultException ex) when (ex.Status is 401 or 403)
            {
                throw new InvalidOperationException($"The embeddings endpoint refused the request ({ex.Status}): check the API key.", ex);
            }
            catch (ClientResultException ex) when (ex.Status is >= 400 and < 500 and not 408 and not 429)
            {
                throw new InvalidOperationException($"The embeddings endpoint rejected the request ({ex.Status}): {ex.Message}", ex);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && attempt < attempts)
            {
                var delay = firstDelay * Math.Pow(2, attempt - 1) * (0.8 + 0.4 * Random.Shared.NextDouble());
                logger.LogWarning("Embeddings request failed (attempt {Attempt} of {Attempts}: {Error}); retrying in {Delay}.",
                    attempt, attempts, ex.GetType().Name, delay);
                await Task.Delay(delay, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                throw new InvalidOperationException($"The embeddings endpoint failed {attempts} times; last error: {ex.Message}", ex);
            }
        }
    }
}
