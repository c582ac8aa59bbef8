using SelfLong.Jobs.Models;
using static TorchSharp.torch;

namespace SelfLong.Tests.Models;

public sealed class RotaryEmbeddingTests
{
    [Fact]
    public void ComputeInverseFrequencies_Default_MatchesThetaPowers()
    {
        var inv = RotaryEmbedding.ComputeInverseFrequencies(8, 10_000, null);
        // 10000^(-2i/8) for i = 0..3
        Assert.Equal([1.0, 0.1, 0.01, 0.001], inv.Select(x => Math.Round(x, 12)));
    }

    [Fact]
    public void ComputeInverseFrequencies_Llama3_MatchesVectorizedTransformersFormula()
    {
        var scaling = new RopeScaling { RopeType = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 8192 };
        var actual = RotaryEmbedding.ComputeInverseFrequencies(128, 500_000, scaling);

        // The same rule written with tensor masks, as transformers' _compute_llama3_parameters does.
        using var scope = NewDisposeScope();
        var inv = 1.0 / pow(500_000.0, arange(0, 128, 2, dtype: ScalarType.Float64) / 128.0);
        var wavelen = 2 * Math.PI / inv;
        var scaled = where(wavelen > 8192.0 / 1, inv / 8, inv);
        var smooth = (8192.0 / wavelen - 1) / (4 - 1);
        var smoothed = (1 - smooth) * scaled / 8 + smooth * scaled;
        var medium = wavelen.ge(8192.0 / 4).logical_and(wavelen.le(8192.0 / 1));
        var expected = where(medium, smoothed, scaled).data<double>().ToArray();

        Assert.Equal(64, actual.Length);
        for (var i = 0; i < 64; i++) Assert.Equal(expected[i], actual[i], 1e-15);
        Assert.Equal(1.0, actual[0]);                                     // short wavelengths kept
        Assert.Equal(Math.Pow(500_000, -126.0 / 128) / 8, actual[63], 1e-18); // long ones divided by 8
    }

    [Fact]
    public void Apply_PairAtPosition_RotatesByPositionTimesFrequency()
    {
        using var scope = NewDisposeScope();
        var config = new LlamaConfig { HiddenSize = 8, NumAttentionHeads = 1, RopeTheta = 100 };
        var rope = new RotaryEmbedding(config);
        var x = tensor(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }).view(1, 1, 1, 8);
        var (cos, sin) = rope.Compute(tensor(new long[] { 7 }).view(1, 1), ScalarType.Float32);
        var y = RotaryEmbedding.Apply(x, cos, sin).data<float>().ToArray();

        // Pair i is (x[i], x[i+4]) rotated by angle 7 * 100^(-2i/8), as a complex number.
        for (var i = 0; i < 4; i++)
        {
            var angle = 7 * Math.Pow(100, -2.0 * i / 8);
            double a = i + 1, b = i + 5;
            Assert.Equal(a * Math.Cos(angle) - b * Math.Sin(angle), y[i], 1e-4);
            Assert.Equal(a * Math.Sin(angle) + b * Math.Cos(angle), y[i + 4], 1e-4);
        }
    }

    [Fact]
    public void Linear_ConfigWithFactor4_PositionAtFourTimesTheDistanceGetsTheDefaultAngles()
    {
        // A Hugging Face config as older checkpoints spell it ("type", not "rope_type").
        var node = System.Text.Json.Nodes.JsonNode.Parse(SelfLongTiny.Config(hidden: 32, layers: 1).ToJson())!;
        node["rope_scaling"] = System.Text.Json.Nodes.JsonNode.Parse("""{"type": "linear", "factor": 4.0}""");
        var linear = new RotaryEmbedding(LlamaConfig.Parse(node.ToJsonString()));
        var plain = new RotaryEmbedding(SelfLongTiny.Config(hidden: 32, layers: 1));

        // Position interpolation: position 4p under linear x4 is position p without scaling.
        using var scope = NewDisposeScope();
        var (linearCos, linearSin) = linear.Compute(tensor(new long[] { 0, 4, 8, 100, 1000 }).view(1, 5), ScalarType.Float32);
        var (plainCos, plainSin) = plain.Compute(tensor(new long[] { 0, 1, 2, 25, 250 }).view(1, 5), ScalarType.Float32);
        Assert.Equal(plainCos.data<float>().ToArray(), linearCos.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal(plainSin.data<float>().ToArray(), linearSin.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal(plain.InverseFrequencies.Select(f => f / 4), linear.InverseFrequencies);
    }

    [Fact]
    public void Linear_WithoutFactor_RefusedWhenTheConfigIsRead()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(SelfLongTiny.Config(hidden: 32, layers: 1).ToJson())!;
        node["rope_scaling"] = System.Text.Json.Nodes.JsonNode.Parse("""{"rope_type": "linear"}""");

        var error = Assert.Throws<InvalidDataException>(() => LlamaConfig.Parse(node.ToJsonString()));

        Assert.Equal("rope_scaling type 'linear' needs a positive 'factor'.", error.Message);
    }
}
