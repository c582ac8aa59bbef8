using SelfLong.Jobs.Models;
using static TorchSharp.torch;

namespace SelfLong.Tests.Models;

public sealed class LlamaShapeTests
{
    /// <summary>meta-llama/Llama-3.2-1B's config.json.</summary>
    private const string Llama32OneB = """
        {
          "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
          "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu",
          "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192,
          "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama",
          "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8,
          "pretraining_tp": 1, "rms_norm_eps": 1e-05,
          "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                           "original_max_position_embeddings": 8192, "rope_type": "llama3"},
          "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
          "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256
        }
        """;

    [Fact]
    public void Constructor_Llama32OneBOnMeta_HasHuggingFaceKeysAndShapes()
    {
        var config = LlamaConfig.Parse(Llama32OneB);
        using var model = new LlamaForCausalLM(config, META, ScalarType.BFloat16);
        var actual = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

        var expected = new Dictionary<string, long[]>
        {
            ["model.embed_tokens.weight"] = [128256, 2048],
            ["model.norm.weight"] = [2048],
        };
        for (var i = 0; i < 16; i++)
        {
            var p = $"model.layers.{i}.";
            expected[p + "self_attn.q_proj.weight"] = [2048, 2048];
            expected[p + "self_attn.k_proj.weight"] = [512, 2048];
            expected[p + "self_attn.v_proj.weight"] = [512, 2048];
            expected[p + "self_attn.o_proj.weight"] = [2048, 2048];
            expected[p + "mlp.gate_proj.weight"] = [8192, 2048];
            expected[p + "mlp.up_proj.weight"] = [8192, 2048];
            expected[p + "mlp.down_proj.weight"] = [2048, 8192];
            expected[p + "input_layernorm.weight"] = [2048];
            expected[p + "post_attention_layernorm.weight"] = [2048];
        }

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, shape) in expected) Assert.True(shape.SequenceEqual(actual[key]), key);
        Assert.Equal(1_235_814_400L, actual.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)));
    }

    [Fact]
    public void Parse_Llama32OneB_ReadsRopeScalingAndKeepsUnknownFields()
    {
        var config = LlamaConfig.Parse(Llama32OneB);
        Assert.Equal("llama3", config.RopeScaling!.Type);
        Assert.Equal(32.0, config.RopeScaling.Factor);
        Assert.Equal(8, config.KeyValueHeads);
        Assert.Equal([128001], config.EosTokenIds());
        Assert.Contains("\"pretraining_tp\": 1", config.ToJson());
    }

    [Theory]
    [InlineData("yarn")]
    [InlineData("dynamic")]
    [InlineData("longrope")]
    public void Parse_UnimplementedRopeType_RefusesWithTheTypeNamed(string type)
    {
        var json = Llama32OneB.Replace("\"rope_type\": \"llama3\"", $"\"rope_type\": \"{type}\"");
        var error = Assert.Throws<NotSupportedException>(() => LlamaConfig.Parse(json));
        Assert.Contains(type, error.Message);
    }

    [Fact]
    public void Forward_TinyModel_ReturnsLogitsPerPosition()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var config = SelfLongTiny.Config(maxPositions: 64, hidden: 32, layers: 2);
        using var model = new LlamaForCausalLM(config);
        var logits = model.Forward(randint(0, 256, [3, 10], dtype: ScalarType.Int64));
        Assert.Equal([3L, 10, ByteTokenizer.Size], logits.shape);
        Assert.False(logits.isnan().any().item<bool>());
    }
}
