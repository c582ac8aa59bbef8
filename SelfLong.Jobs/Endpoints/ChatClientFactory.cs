using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using OpenAI;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Endpoints.Local;

namespace SelfLong.Jobs.Endpoints;

/// <summary>One <see cref="IChatClient"/> per endpoint configuration, reused across calls.</summary>
public sealed class ChatClientFactory(EndpointSecrets secrets, LocalCheckpointPool checkpoints, OutboundConnections? connections = null)
{
    private readonly ConcurrentDictionary<string, IChatClient> clients = new();

    public IChatClient For(ModelEndpoint endpoint)
    {
        if (endpoint.Kind == ModelEndpointKind.LocalCheckpoint)
        {
            var settings = LocalCheckpointSettings.For(endpoint);
            return clients.GetOrAdd($"{endpoint.Id}|{endpoint.Name}|{settings}",
                _ => new LocalCheckpointChatClient(checkpoints, endpoint.Name, settings));
        }
        if (endpoint.Kind != ModelEndpointKind.OpenAiCompatible || string.IsNullOrWhiteSpace(endpoint.BaseUrl) || string.IsNullOrWhiteSpace(endpoint.Model))
        {
            throw new EndpointUnavailableException($"Endpoint '{endpoint.Name}' has no base URL and model to call.");
        }
        var key = $"{endpoint.Id}|{endpoint.BaseUrl}|{endpoint.Model}|{endpoint.TimeoutSeconds}|{endpoint.ProtectedApiKey}";
        return clients.GetOrAdd(key, _ =>
        {
            var options = new OpenAIClientOptions
            {
                Endpoint = new Uri(endpoint.BaseUrl),
                // ModelCallPolicy times each attempt out and retries; the SDK's own limits stay out of its way.
                NetworkTimeout = TimeSpan.FromSeconds(Math.Max(1, endpoint.TimeoutSeconds)) + TimeSpan.FromMinutes(1),
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                Transport = (connections ?? OutboundConnections.Default).Transport,
            };
            // Local servers accept any key; the SDK requires a non-empty one.
            var apiKey = secrets.Unprotect(endpoint.ProtectedApiKey) ?? "none";
            return new OpenAIClient(new ApiKeyCredential(apiKey), options).GetChatClient(endpoint.Model).AsIChatClient();
        });
    }
}
