using System.Text.Json.Serialization;
using SelfLong.Data.Corpora;

namespace SelfLong.Jobs.Corpora;

/// <summary>What a user sets when creating a corpus (UI, REST and CLI share it).</summary>
public sealed record CorpusSettings
{
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    [JsonConverter(typeof(JsonStringEnumConverter<EmbedderKind>))]
    public EmbedderKind Embedder { get; init; } = EmbedderKind.Lexical;
    public string? EmbedderBaseUrl { get; init; }
    public string? EmbedderModel { get; init; }
    /// <summary>Never stored in clear, never returned.</summary>
    public string? EmbedderApiKey { get; init; }
    /// <summary>Vector length; the built-in default for the lexical embedder, probed from the endpoint when omitted.</summary>
    public int? EmbeddingDimension { get; init; }
    public int ChunkTokens { get; init; } = 256;
    public int ChunkOverlapTokens { get; init; } = 32;
    public string TextField { get; init; } = "text";
    public string TitleField { get; init; } = "title";

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        void Add(string field, string message) => errors[field] = [message];
        if (string.IsNullOrWhiteSpace(Name)) Add(nameof(Name), "Give the corpus a name.");
        else if (Name.Trim().Length > 200) Add(nameof(Name), "The name can have at most 200 characters.");
        if (Description.Length > 4000) Add(nameof(Description), "The description can have at most 4000 characters.");
        if (ChunkTokens is < 16 or > 8192) Add(nameof(ChunkTokens), "The chunk size must be from 16 to 8192 tokens.");
        if (ChunkOverlapTokens < 0 || ChunkOverlapTokens > ChunkTokens / 2) Add(nameof(ChunkOverlapTokens), "The overlap must be from 0 to half the chunk size.");
        if (string.IsNullOrWhiteSpace(TextField)) Add(nameof(TextField), "Name the field that holds the text (usually \"text\").");
        if (EmbeddingDimension is { } d && (d < 16 || d > Storage.VectorLayout.MaxDimension))
            Add(nameof(EmbeddingDimension), $"The dimension must be from 16 to {Storage.VectorLayout.MaxDimension} (the largest halfvec).");
        if (Embedder == EmbedderKind.OpenAi)
        {
            if (!Uri.TryCreate(EmbedderBaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                Add(nameof(EmbedderBaseUrl), "Give the endpoint's base URL, e.g. http://localhost:8000/v1.");
            if (string.IsNullOrWhiteSpace(EmbedderModel)) Add(nameof(EmbedderModel), "Name the embedding model the endpoint serves.");
        }
        return errors;
    }
}
