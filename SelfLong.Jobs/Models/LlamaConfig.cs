using System.Text.Json;
using System.Text.Json.Serialization;

namespace SelfLong.Jobs.Models;

/// <summary>
/// A Llama-family configuration as Hugging Face writes it in <c>config.json</c>. Unknown fields are
/// kept in <see cref="Extra"/> so a saved checkpoint carries everything the source had.
/// </summary>
public sealed class LlamaConfig
{
    [JsonPropertyName("architectures")] public string[]? Architectures { get; set; } = ["LlamaForCausalLM"];
    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "llama";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; } = 32000;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; set; } = 4096;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; set; } = 11008;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; set; } = 32;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; set; } = 32;
    [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeads { get; set; }
    [JsonPropertyName("head_dim")] public int? HeadDimension { get; set; }
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; set; } = "silu";
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; set; } = 2048;
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; set; } = 1e-6;
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; set; } = 10000.0;
    [JsonPropertyName("rope_scaling")] public RopeScaling? RopeScaling { get; set; }
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; set; }
    [JsonPropertyName("mlp_bias")] public bool MlpBias { get; set; }
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; set; }
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; set; } = 0.02;
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; set; }
    /// <summary>An integer or a list (Llama 3.1 lists three end tokens).</summary>
    [JsonPropertyName("eos_token_id")] public JsonElement? EosTokenId { get; set; }
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; set; } = "float32";

    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }

    [JsonIgnore] public int KeyValueHeads => NumKeyValueHeads ?? NumAttentionHeads;
    [JsonIgnore] public int HeadDim => HeadDimension ?? HiddenSize / NumAttentionHeads;

    public IReadOnlyList<int> EosTokenIds() => EosTokenId switch
    {
        { ValueKind: JsonValueKind.Number } e => [e.GetInt32()],
        { ValueKind: JsonValueKind.Array } e => [.. e.EnumerateArray().Select(x => x.GetInt32())],
        _ => [],
    };

    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static LlamaConfig Parse(string json)
    {
        var config = JsonSerializer.Deserialize<LlamaConfig>(json)
            ?? throw new InvalidDataException("config.json is empty.");
        config.Validate();
        return config;
    }

    public static LlamaConfig Load(string path) => Parse(File.ReadAllText(path));

    public string ToJson() => JsonSerializer.Serialize(this, WriteOptions);

    public LlamaConfig Clone() => Parse(ToJson());

    /// <summary>Refuses what this implementation would otherwise compute wrongly.</summary>
    public void Validate()
    {
        if (ModelType != "llama")
            throw new NotSupportedException($"model_type '{ModelType}' is not supported; only Llama-family checkpoints (model_type \"llama\") load here.");
        if (HiddenAct != "silu")
            throw new NotSupportedException($"hidden_act '{HiddenAct}' is not supported; Llama uses \"silu\".");
        if (AttentionBias || MlpBias)
            throw new NotSupportedException("attention_bias / mlp_bias = true is not supported; Llama projections have no bias.");
        if (NumAttentionHeads <= 0 || HiddenSize <= 0 || NumHiddenLayers <= 0 || VocabSize <= 0)
            throw new InvalidDataException("hidden_size, num_attention_heads, num_hidden_layers and vocab_size must be positive.");
        if (NumAttentionHeads % KeyValueHeads != 0)
            throw new InvalidDataException($"num_attention_heads ({NumAttentionHeads}) must be a multiple of num_key_value_heads ({KeyValueHeads}).");
        if (HeadDim % 2 != 0)
            throw new InvalidDataException($"head_dim ({HeadDim}) must be even for rotary embeddings.");
        if (RopeTheta <= 0)
            throw new InvalidDataException($"rope_theta must be positive, not {RopeTheta}.");
        RopeScaling?.Validate();
    }
}

/// <summary>
/// <c>rope_scaling</c>: "default" and "linear" and "llama3" are implemented; any other type is
/// refused, because ignoring it would silently change every position's rotation.
/// </summary>
public sealed class RopeScaling
{
    public static readonly string[] Implemented = ["default", "linear", "llama3"];

    [JsonPropertyName("rope_type")] public string? RopeType { get; set; }
    /// <summary>Older configs spell the field <c>type</c>.</summary>
    [JsonPropertyName("type")] public string? LegacyType { get; set; }
    [JsonPropertyName("factor")] public double? Factor { get; set; }
    [JsonPropertyName("low_freq_factor")] public double? LowFreqFactor { get; set; }
    [JsonPropertyName("high_freq_factor")] public double? HighFreqFactor { get; set; }
    [JsonPropertyName("original_max_position_embeddings")] public int? OriginalMaxPositionEmbeddings { get; set; }

    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }

    [JsonIgnore] public string Type => RopeType ?? LegacyType ?? "default";

    public void Validate()
    {
        if (!Implemented.Contains(Type))
            throw new NotSupportedException(
                $"rope_scaling type '{Type}' is not implemented (implemented: {string.Join(", ", Implemented)}). " +
                "Remove rope_scaling or convert the checkpoint; ignoring it would give wrong outputs.");
        if (Type is "linear" or "llama3" && (Factor is null || Factor <= 0))
            throw new InvalidDataException($"rope_scaling type '{Type}' needs a positive 'factor'.");
        if (Type == "llama3")
        {
            if (LowFreqFactor is null || HighFreqFactor is null || OriginalMaxPositionEmbeddings is null)
                throw new InvalidDataException("rope_scaling type 'llama3' needs low_freq_factor, high_freq_factor and original_max_position_embeddings.");
            if (HighFreqFactor <= LowFreqFactor)
                throw new InvalidDataException("rope_scaling llama3: high_freq_factor must be greater than low_freq_factor.");
        }
    }
}
