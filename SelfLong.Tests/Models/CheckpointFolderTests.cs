using System.Text.Json.Nodes;
using SelfLong.Jobs.Models;
using static TorchSharp.torch;

namespace SelfLong.Tests.Models;

public sealed class CheckpointFolderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("selflong-ckpt-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static LlamaConfig Tiny(bool tied = true)
    {
        var config = SelfLongTiny.Config(maxPositions: 64, hidden: 32, layers: 2);
        config.TieWordEmbeddings = tied;
        return config;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Save_ThenLoad_IsBitExactAndKeepsNewRopeTheta(bool tied)
    {
        manual_seed(11);
        using var model = new LlamaForCausalLM(Tiny(tied));
        var extended = model.Config.Clone();
        extended.RopeTheta = 40_000;
        extended.MaxPositionEmbeddings = 128;
        CheckpointFolder.Save(model, dir, extended);

        using var loaded = CheckpointFolder.Load(dir);
        Assert.Equal(40_000, loaded.Config.RopeTheta);
        Assert.Equal(128, loaded.Config.MaxPositionEmbeddings);
        var expected = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var actual = loaded.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.Equal(tied, !actual.ContainsKey("lm_head.weight"));
        foreach (var (name, p) in expected) Assert.True(p.bytes.SequenceEqual(actual[name].bytes), name);
    }

    [Fact]
    public void SafeTensorsSave_Bfloat16_RoundTripsBytesAndWritesHuggingFaceHeader()
    {
        using var scope = NewDisposeScope();
        var t = randn(3, 5).to_type(ScalarType.BFloat16);
        var path = Path.Combine(dir, "x.safetensors");
        SafeTensors.Save(path, [new("a.weight", t)]);

        var back = SafeTensors.Load(path)["a.weight"];
        Assert.Equal(ScalarType.BFloat16, back.dtype);
        Assert.True(t.bytes.SequenceEqual(back.bytes));
        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, headerLength % 8);
        var header = JsonNode.Parse(System.Text.Encoding.UTF8.GetString(bytes, 8, (int)headerLength))!;
        Assert.Equal("BF16", header["a.weight"]!["dtype"]!.GetValue<string>());
        Assert.Equal(8 + headerLength + 30, bytes.Length);
    }

    [Fact]
    public void Load_ShardedIndex_LoadsEveryShard()
    {
        manual_seed(12);
        using var model = new LlamaForCausalLM(Tiny());
        var parameters = model.named_parameters().ToList();
        var half = parameters.Count / 2;
        SafeTensors.Save(Path.Combine(dir, "model-00001-of-00002.safetensors"), parameters.Take(half).Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)));
        SafeTensors.Save(Path.Combine(dir, "model-00002-of-00002.safetensors"), parameters.Skip(half).Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)));
        var map = new JsonObject();
        for (var i = 0; i < parameters.Count; i++) map[parameters[i].name] = i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
        File.WriteAllText(Path.Combine(dir, CheckpointFolder.IndexFile), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map }.ToJsonString());
        File.WriteAllText(Path.Combine(dir, CheckpointFolder.ConfigFile), model.Config.ToJson());

        using var loaded = CheckpointFolder.Load(dir);
        var actual = loaded.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in parameters) Assert.True(p.bytes.SequenceEqual(actual[name].bytes), name);
    }

    [Fact]
    public void Load_MissingKey_NamesItInTheError()
    {
        using var model = new LlamaForCausalLM(Tiny());
        var kept = model.named_parameters().Where(p => p.name != "model.norm.weight");
        SafeTensors.Save(Path.Combine(dir, CheckpointFolder.WeightsFile), kept.Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)));
        File.WriteAllText(Path.Combine(dir, CheckpointFolder.ConfigFile), model.Config.ToJson());

        var error = Assert.Throws<InvalidDataException>(() => CheckpointFolder.Load(dir));
        Assert.Contains("model.norm.weight", error.Message);
    }

    [Fact]
    public void Load_WrongShape_NamesKeyAndBothShapes()
    {
        using var model = new LlamaForCausalLM(Tiny());
        CheckpointFolder.Save(model, dir);
        var wider = model.Config.Clone();
        wider.IntermediateSize = 96;
        File.WriteAllText(Path.Combine(dir, CheckpointFolder.ConfigFile), wider.ToJson());

        var error = Assert.Throws<InvalidDataException>(() => CheckpointFolder.Load(dir));
        Assert.Contains("gate_proj.weight", error.Message);
        Assert.Contains("[96, 32]", error.Message);
    }
}
