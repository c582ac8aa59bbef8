namespace SelfLong.Jobs.Training;

/// <summary>Everything about a run except its data and stages.</summary>
public sealed record TrainingOptions
{
    public int Seed { get; init; } = 1;
    public int BatchSize { get; init; } = 4;
    public int GradientAccumulation { get; init; } = 1;
    public int WarmupSteps { get; init; } = 10;
    /// <summary>Cosine floor as a share of the stage's learning rate.</summary>
    public double MinLearningRateRatio { get; init; } = 0.1;
    public double WeightDecay { get; init; } = 0.1;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double Epsilon { get; init; } = 1e-8;
    public double ClipNorm { get; init; } = 1.0;
    /// <summary>Save a resumable checkpoint every N steps (0: only at each stage's end).</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Periodic checkpoints kept (the newest N); each stage's end is always kept. 0 keeps all.</summary>
    public int KeepCheckpoints { get; init; }
    /// <summary>Run projections in bf16 on CUDA (master weights stay float32). Ignored on CPU.</summary>
    public bool Bf16OnCuda { get; init; } = true;
    /// <summary>Projections' type on the CPU: "float32" (default) or "bfloat16" (master weights stay float32).</summary>
    public string CpuDtype { get; init; } = "float32";
    /// <summary>Stages longer than this recompute each decoder layer in backward instead of keeping its activations.</summary>
    public int CheckpointAboveTokens { get; init; } = Models.LongSequence.Default.CheckpointAboveTokens;
    /// <summary>The MLP runs over sequence chunks of this many tokens, so no (T, intermediate) activation exists.</summary>
    public int ChunkTokens { get; init; } = Models.LongSequence.Default.ChunkTokens;
    /// <summary>Pack several short samples per row (no attention across them) instead of padding.</summary>
    public bool Packing { get; init; } = true;
    public LossRule Loss { get; init; } = new();
    /// <summary>
    /// Checkpoints larger than this are saved as Hugging Face shards with an index (transformers'
    /// max_shard_size, 5GB by default); a tensor is never split across shards.
    /// </summary>
    public long MaxShardBytes { get; init; } = Models.ShardedWeights.DefaultMaxShardBytes;

    /// <summary>The compute type for projections on <paramref name="device"/>; null computes in float32.</summary>
    public TorchSharp.torch.ScalarType? ComputeType(TorchSharp.torch.Device device)
    {
        if (Models.TorchDevices.IsCuda(device)) return Bf16OnCuda ? TorchSharp.torch.ScalarType.BFloat16 : null;
        return CpuDtype switch
        {
            "float32" => null,
            "bfloat16" => TorchSharp.torch.ScalarType.BFloat16,
            _ => throw new ArgumentException($"Unknown CPU dtype '{CpuDtype}': use float32 or bfloat16."),
        };
    }
}
