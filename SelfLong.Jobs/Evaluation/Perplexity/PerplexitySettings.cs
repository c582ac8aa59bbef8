namespace SelfLong.Jobs.Evaluation.Perplexity;

/// <summary>A perplexity-versus-length run's settings, stored with the run.</summary>
public sealed record PerplexitySettings
{
    public const int DefaultWindows = 4;

    /// <summary>Context lengths in the checkpoint's tokens; empty: doubling up to 4 x max_position_embeddings.</summary>
    public IReadOnlyList<int> Lengths { get; init; } = [];
    /// <summary>Windows of held-out text averaged per length.</summary>
    public int Windows { get; init; } = DefaultWindows;
    /// <summary>End of the first position bucket; 0: half the shortest length.</summary>
    public int FirstBucket { get; init; }
    public string HeldOut { get; init; } = HeldOutText.BundledName;
    /// <summary>A corpus whose documents are the held-out text; null for the bundled text.</summary>
    public long? HeldOutCorpusId { get; init; }

    public int FirstBucketFor(IReadOnlyList<int> lengths) => FirstBucket > 0 ? FirstBucket : Math.Max(1, lengths.Min() / 2);

    /// <summary>From 256 (or the training length when shorter), doubling to four times the training length, so degradation past it shows.</summary>
    public static IReadOnlyList<int> DefaultLengths(int maxPositionEmbeddings) =>
        PerplexityByLength.DoublingLengths(Math.Min(256, maxPositionEmbeddings), maxPositionEmbeddings * 4);
}
