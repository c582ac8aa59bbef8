using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;

namespace SelfLong.Tests.Training;

internal static class TrainingTestData
{
    public static LlamaConfig TinyConfig() => SelfLongTiny.Config(maxPositions: 32, hidden: 32, layers: 2);

    /// <summary>Periodic byte strings a two-layer model learns in a few dozen steps.</summary>
    public static IReadOnlyList<TrainingSample> Patterns() =>
        [.. Enumerable.Range(0, 16).Select(i => TrainingSample.PlainText(string.Concat(Enumerable.Repeat("abcd"[(i % 4)..] + "xyz", 6))))];

    public static TrainingOptions Options(int checkpointEvery = 0) => new()
    {
        Seed = 7,
        BatchSize = 2,
        WarmupSteps = 2,
        CheckpointEvery = checkpointEvery,
    };
}
