namespace SelfLong.Jobs.Demo;

/// <summary>
/// Sizes of the demo, chosen to finish in well under 30 minutes on a 2-core CPU (ARCHITECTURE.md,
/// "tiny CPU demo"). Lengths of SelfLong-Tiny are bytes: its tokenizer is byte-level.
/// Bound from <c>SelfLong:Demo</c>.
/// </summary>
public sealed class DemoOptions
{
    public const string Section = "SelfLong:Demo";

    public string CorpusName { get; set; } = "Moby-Dick";
    public int Samples { get; set; } = 24;
    public int Seed { get; set; } = 7;

    /// <summary>First stage length; each later stage doubles it and multiplies theta by 4 (PAPER.md).</summary>
    public int FirstLength { get; set; } = 256;
    public double FirstTheta { get; set; } = 10_000;
    public int Stages { get; set; } = 3;
    public int StepsPerStage { get; set; } = 300;
    public double LearningRate { get; set; } = 2e-3;

    /// <summary>Share of corpus text against the synthesized samples (weight 1) in training.</summary>
    public double CorpusTextWeight { get; set; } = 4;

    /// <summary>NIAH lengths reach past the last stage, so the heatmaps show where each checkpoint stops.</summary>
    public int[] NiahLengths { get; set; } = [512, 1024, 2048, 4096];
    public int[] NiahDepths { get; set; } = [0, 25, 50, 75, 100];
    public int[] RulerLengths { get; set; } = [4096];
    public int RulerSamples { get; set; } = 1;

    /// <summary>
    /// RULER tasks to run; empty means all but qa_1 and qa_2 (they need uploaded data sets) and cwe,
    /// whose few-shot template alone is longer than these byte lengths.
    /// </summary>
    public string[] RulerTasks { get; set; } = [];
}
