using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;

namespace SelfLong.Tests.Training;

public sealed class MemoryEstimateTests
{
    [Theory]
    [InlineData("llama-3.2-1b", 1_235_814_400L)]
    [InlineData("llama-3.2-3b", 3_212_749_824L)]
    [InlineData("llama-3.1-8b", 8_030_261_248L)]
    public void ParameterCount_LlamaShapes_EqualTheReleasedModels(string shape, long parameters)
    {
        Assert.Equal(parameters, MemoryEstimate.ParameterCount(LlamaShapes.Known[shape]()));
    }

    [Fact]
    public void For_LongerLengths_GrowLinearlyInActivationsOnly()
    {
        var config = LlamaShapes.Known["llama-3.2-1b"]();
        var lengths = new[] { 32_768, 65_536, 131_072, 262_144, 524_288, 1_048_576 };

        var estimates = lengths.Select(l => MemoryEstimate.For(config, l, batch: 1, bf16: true)).ToList();

        Assert.All(estimates.Zip(estimates.Skip(1)), p => Assert.True(p.Second.TotalBytes > p.First.TotalBytes));
        Assert.All(estimates.Zip(lengths), p => Assert.Equal(p.Second * p.First.ActivationBytesPerToken, p.First.ActivationBytes));
        Assert.Single(estimates.Select(e => (e.ParameterBytes, e.ChunkBufferBytes)).Distinct());
        // Counted in float32 hidden-size units: 2.1 kept per layer x 16 layers + 11.5 working.
        Assert.Equal((long)Math.Ceiling(2048 * 4 * (2.1 * 16 + 11.5)), estimates[0].ActivationBytesPerToken);
        Assert.Equal(1_235_814_400L * 18, estimates[0].ParameterBytes);
        Assert.Equal(estimates[0].ParameterBytes + estimates[0].ActivationBytes + estimates[0].ChunkBufferBytes, estimates[0].TotalBytes);
    }

    [Fact]
    public void For_Float32_SameActivationsWithoutTheBf16Copies()
    {
        var config = LlamaShapes.Known["llama-3.2-1b"]();

        var bf16 = MemoryEstimate.For(config, 8192, batch: 2, bf16: true);
        var float32 = MemoryEstimate.For(config, 8192, batch: 2, bf16: false);

        Assert.Equal(bf16.ActivationBytes, float32.ActivationBytes); // fitted in float32; bf16 is counted the same
        Assert.Equal(bf16.Parameters * 16, float32.ParameterBytes);
        Assert.Equal(2 * 8192 * bf16.ActivationBytesPerToken, bf16.ActivationBytes);
    }

    [Fact]
    public void For_FewerTokensThanAChunk_BuffersOnlyThoseTokens()
    {
        var config = SelfLongTiny.Config();

        var estimate = MemoryEstimate.For(config, 256, batch: 2, bf16: false);

        Assert.Equal(512L * config.VocabSize * 4 * 3 + (long)config.VocabSize * config.HiddenSize * 4 + 512L * config.IntermediateSize * 4 * 4, estimate.ChunkBufferBytes);
    }

    [Fact]
    public void TrainingPreview_StageBeyondTheDevice_IsRefusedWithItsFigure()
    {
        var spec = new TrainingRunSpec
        {
            Stages = [new TrainingStage(256, 1e4, 1, 1e-3), new TrainingStage(65_536, 4e4, 1, 1e-3)],
            Options = new TrainingOptions { BatchSize = 4 },
        };

        var preview = TrainingPreview.For(spec, SelfLongTiny.Config(), new TrainingDevice(TrainingDevice.Cpu, 1L << 30));

        Assert.Equal([true, false], preview.Stages.Select(s => s.Fits));
        var (field, message) = Assert.Single(preview.Refusals());
        Assert.Equal("stages", field);
        var figure = ByteSize.Format(MemoryEstimate.For(SelfLongTiny.Config(), 65_536, batch: 4, bf16: false).TotalBytes);
        Assert.StartsWith($"Stage 2 (65,536 tokens x batch 4) needs an estimated {figure} ", message);
        Assert.Matches(@"^[2-9]\.\d+ GiB$", figure); // 10 KiB per token x 262,144 tokens, plus parameters and buffers
        Assert.Contains("but the device (cpu) has 1 GiB", message);
    }

    [Fact]
    public void TrainingPreview_UnknownDeviceMemory_RefusesNothing()
    {
        var spec = new TrainingRunSpec { Stages = [new TrainingStage(1 << 20, 1e4, 1, 1e-3)] };

        var preview = TrainingPreview.For(spec, SelfLongTiny.Config(), new TrainingDevice(TrainingDevice.Cuda, null));

        Assert.Null(Assert.Single(preview.Stages).Fits);
        Assert.Empty(preview.Refusals());
        Assert.True(preview.Bf16);
    }

    [Fact]
    public void ParseMemTotal_ProcMeminfo_IsBytes()
    {
        Assert.Equal(131_072_000L * 1024, TrainingDevice.ParseMemTotal(["MemTotal:       131072000 kB", "MemFree:        1000 kB"]));
        Assert.Null(TrainingDevice.ParseMemTotal(["MemFree: 1 kB"]));
    }

    [Fact]
    public void ParseNvidiaSmiMebibytes_FirstGpu_IsBytes()
    {
        Assert.Equal(143_771L << 20, TrainingDevice.ParseNvidiaSmiMebibytes("143771\n143771\n"));
        Assert.Null(TrainingDevice.ParseNvidiaSmiMebibytes("[N/A]\n"));
    }
}
