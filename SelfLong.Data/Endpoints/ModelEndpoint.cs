namespace SelfLong.Data.Endpoints;

/// <summary>The three kinds of model access (ARCHITECTURE.md, "Model access").</summary>
public enum ModelEndpointKind
{
    /// <summary>An OpenAI-compatible HTTP server (vLLM, TGI, llama.cpp, Ollama, OpenAI).</summary>
    OpenAiCompatible,

    /// <summary>The built-in extractive generator: no model, runs anywhere; its data is labelled.</summary>
    Extractive,

    /// <summary>A checkpoint folder run in process with TorchSharp (a Hugging Face layout or a SelfLong training checkpoint).</summary>
    LocalCheckpoint,
}

/// <summary>A model that synthesis (and later evaluation) can call.</summary>
public sealed class ModelEndpoint
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public ModelEndpointKind Kind { get; set; }

    /// <summary>Base URL of the OpenAI-compatible API, e.g. <c>http://localhost:8000/v1</c>.</summary>
    public string? BaseUrl { get; set; }
    public string? Model { get; set; }

    /// <summary>The API key protected with ASP.NET Core Data Protection; never shown, logged or exported.</summary>
    public string? ProtectedApiKey { get; set; }

    /// <summary>The model's context window in tokens: the recursive summaries must fit it.</summary>
    public int ContextWindow { get; set; } = 8192;

    /// <summary>Most calls in flight at once, across every worker process.</summary>
    public int MaxConcurrency { get; set; } = 4;
    public int TimeoutSeconds { get; set; } = 120;

    /// <summary>Local checkpoints: the folder with config.json, the weights and the tokenizer.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Local checkpoints: "cpu" or "cuda".</summary>
    public string? Device { get; set; }

    /// <summary>Local checkpoints: the most tokens one call generates, whatever a request asks for.</summary>
    public int? MaxNewTokens { get; set; }

    /// <summary>Local checkpoints: sampling temperature for every call; 0 decodes greedily.</summary>
    public double? Temperature { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}
