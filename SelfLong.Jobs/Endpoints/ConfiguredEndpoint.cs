using SelfLong.Data.Endpoints;

namespace SelfLong.Jobs.Endpoints;

/// <summary>
/// An endpoint declared in configuration (<c>SelfLong:ModelEndpoints</c>, a list), created on first
/// use when no endpoint has its name; one made in the UI or API under that name is left alone.
/// </summary>
public sealed class ConfiguredEndpoint
{
    public const string Section = "SelfLong:ModelEndpoints";

    public string Name { get; set; } = "";
    public ModelEndpointKind Kind { get; set; } = ModelEndpointKind.OpenAiCompatible;
    public string? BaseUrl { get; set; }
    public string? Model { get; set; }
    public string? ApiKey { get; set; }
    public int ContextWindow { get; set; } = 8192;
    public int? MaxConcurrency { get; set; }
    public int TimeoutSeconds { get; set; } = 120;
    public string? CheckpointPath { get; set; }
    public string? Device { get; set; }
    public int? MaxNewTokens { get; set; }
    public double? Temperature { get; set; }

    public ModelEndpointInput ToInput() => new(Name, Kind, BaseUrl, Model, ApiKey, ContextWindow, MaxConcurrency, TimeoutSeconds,
        CheckpointPath, null, Device, MaxNewTokens, Temperature);
}
