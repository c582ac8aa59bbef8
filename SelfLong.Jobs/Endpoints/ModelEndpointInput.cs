using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Endpoints.Local;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Endpoints;

/// <summary>
/// What a user enters for an endpoint; the API key is write-only. A local checkpoint names its
/// folder (or a training checkpoint by id) and takes its context window from the folder's config.
/// MaxConcurrency defaults to 4 calls for servers and 1 for a local checkpoint.
/// </summary>
public sealed record ModelEndpointInput(
    string Name, ModelEndpointKind Kind, string? BaseUrl = null, string? Model = null, string? ApiKey = null,
    int ContextWindow = 8192, int? MaxConcurrency = null, int TimeoutSeconds = 120,
    string? CheckpointPath = null, long? TrainingCheckpointId = null, string? Device = null, int? MaxNewTokens = null, double? Temperature = null)
{
    /// <summary>Checks the input; for a local checkpoint also the folder, whose config it returns.</summary>
    public Dictionary<string, string[]> Validate(out LlamaConfig? checkpointConfig)
    {
        checkpointConfig = null;
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 100)
            errors["name"] = ["Give the endpoint a name of 1 to 100 characters."];
        if (Kind == ModelEndpointKind.OpenAiCompatible)
        {
            if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                errors["baseUrl"] = ["Enter the server's base URL, e.g. http://localhost:8000/v1."];
            if (string.IsNullOrWhiteSpace(Model))
                errors["model"] = ["Enter the model name the server expects."];
        }
        if (Kind == ModelEndpointKind.LocalCheckpoint)
        {
            if (LocalCheckpointSettings.Problem(CheckpointPath?.Trim(), out checkpointConfig) is { } problem)
                errors["checkpointPath"] = [problem];
            if (Device is not null && !LocalCheckpointSettings.Devices.Contains(Device))
                errors["device"] = ["Choose the device cpu or cuda."];
            if (MaxNewTokens is < 1 or > LocalCheckpointSettings.MaxMaxNewTokens)
                errors["maxNewTokens"] = [$"Max new tokens must be between 1 and {LocalCheckpointSettings.MaxMaxNewTokens:N0}."];
            if (Temperature is { } t && (t is < 0 or > LocalCheckpointSettings.MaxTemperature || double.IsNaN(t)))
                errors["temperature"] = [$"The temperature must be between 0 (greedy) and {LocalCheckpointSettings.MaxTemperature:g}."];
        }
        else if (ContextWindow is < 512 or > 10_000_000)
        {
            errors["contextWindow"] = ["The context window must be between 512 and 10,000,000 tokens."];
        }
        if (MaxConcurrency is < 1 or > 1024)
            errors["maxConcurrency"] = ["Maximum concurrent requests must be between 1 and 1024."];
        if (TimeoutSeconds is < 1 or > 3600)
            errors["timeoutSeconds"] = ["The timeout must be between 1 and 3600 seconds."];
        return errors;
    }
}
