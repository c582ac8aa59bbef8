using System.ComponentModel.DataAnnotations;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Demo;

/// <summary>
/// Sizes of the demo, chosen to finish in well under 30 minutes on a 2-core CPU (ARCHITECTURE.md,
/// "tiny CPU demo"). Lengths of SelfLong-Tiny are bytes: its tokenizer is byte-level.
/// Bound from <c>SelfLong:Demo</c>.
/// </summary>
public sealed class DemoOptions
{
    public const string Section = "SelfLong:Demo";

    [Required]

    public string CorpusName { get; set; } = "Moby-Dick";
    [Range(1, 100_000)]
    public int Samples { get; set; } = 24;
    public int Seed { get; set; } = 7;

    /// <summary>First stage length; each later stage doubles it and multiplies theta by 4 (PAPER.md).</summary>
    [Range(16, 1 << 24)]
    public int FirstLength { get; set; } = 256;
    [Range(1.0, double.MaxValue)]
    public double FirstTheta { get; set; } = 10_000;
    [Range(1, 12)]
    public int Stages { get; set; } = 3;
    [Range(1, 10_000_000)]
    /// <summary>450, not 300: at 300 the last stage learned RULER's single-needle format from its drills only half as well (7.5 against 15 % on the demo's RULER table), for 3 minutes less.</summary>
    public int StepsPerStage { get; set; } = 450;
    [Range(1e-9, 1.0)]
    public double LearningRate { get; set; } = 2e-3;
    [Range(1, 1024)]
    public int BatchSize { get; set; } = 8;

    /// <summary>
    /// The shipped first-stage checkpoint the demo extends (relative to the application's folder).
    /// Learning retrieval from scratch takes about half an hour on 2 cores, so the demo starts from a
    /// stage 1 trained once by <c>./selflong demo --train-base</c> and runs the later stages live;
    /// without it, every stage is trained from scratch with <see cref="StepsPerStage"/> steps.
    /// </summary>
    public string BaseCheckpoint { get; set; } = "Demo/Base";

    /// <summary>Stage-1 steps when training the base (<c>--train-base</c>).</summary>
    [Range(1, 10_000_000)]
    public int BaseSteps { get; set; } = 6000;

    /// <summary>When set, train only stage 1 for <see cref="BaseSteps"/> and copy it here (no evaluation).</summary>
    public string? TrainBaseTo { get; set; }

    /// <summary>Pass-key drills (the demo's needle) against corpus text (weight <see cref="CorpusTextWeight"/>) and samples (1).</summary>
    public double DrillWeight { get; set; } = 6;
    public int DrillsPerLength { get; set; } = 10_000;

    /// <summary>
    /// Drills in RULER's task formats in the live stages (stage 1's 256 bytes hold no RULER template),
    /// at this weight beside the pass-key drills: SelfLong-Tiny has never read RULER's instructions
    /// otherwise, so its RULER table would read 0 at every stage whatever its reach.
    /// </summary>
    [Range(0, 1000)]
    public double RulerDrillWeight { get; set; } = 6;
    [Range(1, 1_000_000)]
    public int RulerDrillsPerLength { get; set; } = 2000;

    /// <summary>Share of corpus text against the synthesized samples (weight 1) in training.</summary>
    public double CorpusTextWeight { get; set; } = 2;

    /// <summary>NIAH lengths reach past the last stage, so the heatmaps show where each checkpoint stops.</summary>
    public int[] NiahLengths { get; set; } = [256, 512, 1024, 2048];
    public int[] NiahDepths { get; set; } = [0, 25, 50, 75, 100];
    /// <summary>
    /// RULER lengths at and past the last stage's 1024 bytes (RULER's shortest is 1024), so its table
    /// changes stage by stage as the NIAH grid does.
    /// </summary>
    public int[] RulerLengths { get; set; } = [1024, 2048];
    [Range(1, 10_000)]
    public int RulerSamples { get; set; } = 4;

    /// <summary>
    /// RULER tasks to run; empty means every task but qa_1 and qa_2 (they need uploaded data sets)
    /// whose prompt fits the shortest RULER length in bytes.
    /// </summary>
    public string[] RulerTasks { get; set; } = [];
}

public static class DemoOptionsExtensions
{
    /// <summary>The base checkpoint folder, or null when none is shipped.</summary>
    public static string? ResolveBase(this DemoOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.BaseCheckpoint)) return null;
        var folder = Path.IsPathRooted(options.BaseCheckpoint) ? options.BaseCheckpoint : Path.Combine(AppContext.BaseDirectory, options.BaseCheckpoint);
        return File.Exists(Path.Combine(folder, Models.CheckpointFolder.ConfigFile)) ? folder : null;
    }

    /// <summary>
    /// The configured tasks, or else every task whose prompt fits the shortest RULER length in bytes
    /// beside the chat template and the answer (cwe's few-shot example alone does not, and qa_1 and
    /// qa_2 need uploaded data sets): a task that cannot fit would fail every sample.
    /// </summary>
    public static IReadOnlyList<string> RulerTaskNames(this DemoOptions options, int chatOverhead)
    {
        if (options.RulerTasks.Length > 0) return options.RulerTasks;
        var generator = new RulerGenerator(RulerResources.Create(ByteTokenizer.Instance));
        var shortest = options.RulerLengths.Min();
        return [.. RulerTask.All.Where(t => t.Family != RulerFamily.Qa && generator.Fits(t, shortest, reservedTokens: chatOverhead)).Select(t => t.Name)];
    }
}
