using System.Text.Json.Nodes;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Training;
using SelfLong.Tests.Infrastructure;
using static TorchSharp.torch;

namespace SelfLong.Tests.Models;

public sealed class ShardedCheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("selflong-shards-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static LlamaForCausalLM TinyModel(int seed)
    {
        manual_seed(seed);
        return new LlamaForCausalLM(SelfLongTiny.Config(maxPositions: 64, hidden: 32, layers: 2));
    }

    private static long Bytes(Tensor t) => t.NumberOfElements * t.ElementSize;

    private static void AssertSameWeights(LlamaForCausalLM expected, LlamaForCausalLM actual)
    {
        var loaded = actual.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(expected.named_parameters().Select(p => p.name).Order(), loaded.Keys.Order());
        foreach (var (name, p) in expected.named_parameters()) Assert.True(p.bytes.SequenceEqual(loaded[name].bytes), name);
    }

    [Fact]
    public void Save_SmallShardLimit_WritesHuggingFaceShardsAndIndexThatLoadBitExact()
    {
        using var model = TinyModel(21);
        var parameters = model.named_parameters().ToList();
        // The largest tensor (the embedding) fits exactly, so every tensor is packed, none alone.
        var limit = parameters.Max(p => Bytes(p.parameter));
        CheckpointFolder.Save(model, dir, maxShardBytes: limit);

        var shards = Directory.GetFiles(dir, "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.True(shards.Count >= 3, $"{shards.Count} shard(s)");
        Assert.Equal(Enumerable.Range(1, shards.Count).Select(i => $"model-{i:D5}-of-{shards.Count:D5}.safetensors"), shards);
        Assert.False(File.Exists(Path.Combine(dir, CheckpointFolder.WeightsFile)));

        // Tensors in model order, whole, each shard as full as the limit allows.
        var headers = shards.Select(s => SafeTensors.ReadHeader(Path.Combine(dir, s!))).ToList();
        Assert.Equal(parameters.Select(p => p.name), headers.SelectMany(h => h.Select(e => e.Name)));
        var sizes = parameters.ToDictionary(p => p.name, p => Bytes(p.parameter));
        for (var i = 0; i < headers.Count; i++)
        {
            var shardBytes = headers[i].Sum(e => e.End - e.Begin);
            Assert.Equal(headers[i].Sum(e => sizes[e.Name]), shardBytes);
            Assert.True(shardBytes <= limit, $"shard {i + 1} holds {shardBytes} bytes, limit {limit}");
            if (i + 1 < headers.Count) Assert.True(shardBytes + sizes[headers[i + 1][0].Name] > limit, $"shard {i + 1} could have taken the next tensor");
        }

        // transformers: json.dumps({"metadata": {"total_size": N}, "weight_map": {...}}, indent=2, sort_keys=True) + "\n".
        var owner = headers.SelectMany((h, i) => h.Select(e => (e.Name, File: shards[i]!))).ToList();
        var expectedIndex = "{\n  \"metadata\": {\n    \"total_size\": " + sizes.Values.Sum() + "\n  },\n  \"weight_map\": {\n"
            + string.Join(",\n", owner.OrderBy(o => o.Name, StringComparer.Ordinal).Select(o => $"    \"{o.Name}\": \"{o.File}\""))
            + "\n  }\n}\n";
        Assert.Equal(expectedIndex, File.ReadAllText(Path.Combine(dir, CheckpointFolder.IndexFile)));

        using var loaded = CheckpointFolder.Load(dir);
        AssertSameWeights(model, loaded);
    }

    [Fact]
    public void Save_TensorLargerThanTheLimit_GetsAShardOfItsOwn()
    {
        using var model = TinyModel(22);
        var parameters = model.named_parameters().ToList();
        var embedding = parameters.Single(p => p.name == "model.embed_tokens.weight");
        var limit = parameters.Where(p => p.name != embedding.name).Max(p => Bytes(p.parameter)) * 3;
        Assert.True(Bytes(embedding.parameter) > limit);
        CheckpointFolder.Save(model, dir, maxShardBytes: limit);

        var map = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, CheckpointFolder.IndexFile)))!["weight_map"]!.AsObject();
        var embeddingFile = map[embedding.name]!.GetValue<string>();
        Assert.Equal([embedding.name], SafeTensors.ReadHeader(Path.Combine(dir, embeddingFile)).Select(e => e.Name));
        Assert.Single(map, p => p.Value!.GetValue<string>() == embeddingFile);
        using var loaded = CheckpointFolder.Load(dir);
        AssertSameWeights(model, loaded);
    }

    [Fact]
    public void Save_UnderTheDefaultLimitOverAShardedFolder_WritesOneModelSafetensorsAndDropsTheOldShards()
    {
        using (var old = TinyModel(23)) CheckpointFolder.Save(old, dir, maxShardBytes: 4096);
        Assert.True(File.Exists(Path.Combine(dir, CheckpointFolder.IndexFile)));

        using var model = TinyModel(24);
        CheckpointFolder.Save(model, dir);

        Assert.Equal([CheckpointFolder.WeightsFile], Directory.GetFiles(dir, "*.safetensors").Select(Path.GetFileName));
        Assert.False(File.Exists(Path.Combine(dir, CheckpointFolder.IndexFile)));
        Assert.Equal(5_000_000_000, ShardedWeights.DefaultMaxShardBytes);
        using var loaded = CheckpointFolder.Load(dir);
        AssertSameWeights(model, loaded);
    }

    [Fact]
    [Slow]
    public void Run_TrainerWithSmallShardLimit_CheckpointsAreShardedAndResumeExactly()
    {
        var schedule = new ProgressiveSchedule([new TrainingStage(16, 10_000, 4, 5e-3)]);
        var options = TrainingTestData.Options(checkpointEvery: 2) with { MaxShardBytes = 16_384 };
        List<StepMetrics> Train(string output, string? from)
        {
            manual_seed(from is null ? 1 : 99);
            using var model = new LlamaForCausalLM(TrainingTestData.TinyConfig());
            var steps = new List<StepMetrics>();
            new ProgressiveTrainer(model, ByteTokenizer.Instance, [(TrainingTestData.Patterns(), 1.0)], schedule, options, output) { OnStep = steps.Add }
                .Run(TestContext.Current.CancellationToken, from);
            return steps;
        }
        var full = Train(Path.Combine(dir, "a"), null);
        var checkpoint = Path.Combine(dir, "a", ProgressiveTrainer.CheckpointsFolder, "step-000002");
        Assert.True(File.Exists(Path.Combine(checkpoint, CheckpointFolder.IndexFile)));
        Assert.True(Directory.GetFiles(checkpoint, "model-*-of-*.safetensors").Length > 1);

        var resumed = Train(Path.Combine(dir, "b"), checkpoint);

        Assert.Equal(full.Skip(2).Select(s => s.Loss), resumed.Select(s => s.Loss));
    }

    [Theory]
    [InlineData("5GB", 5_000_000_000L)]
    [InlineData("200MiB", 200L << 20)]
    [InlineData("1.5kb", 1500L)]
    [InlineData("123456", 123_456L)]
    public void ParseSize_TransformersNotation(string text, long bytes) => Assert.Equal(bytes, ShardedWeights.ParseSize(text));

    [Theory]
    [InlineData("5 parsecs")]
    [InlineData("0")]
    [InlineData("-3MB")]
    public void ParseSize_NotASize_SaysWhatToWrite(string text) =>
        Assert.Contains("GiB", Assert.Throws<ArgumentException>(() => ShardedWeights.ParseSize(text)).Message);
}
