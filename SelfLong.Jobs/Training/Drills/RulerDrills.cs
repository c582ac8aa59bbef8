using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training.Drills;

/// <summary>
/// Drills in RULER's own task formats, made by the evaluation's generator at every stage length and
/// answered with RULER's reference outputs after its answer prefix. A model trained from scratch has
/// never read RULER's instructions ("One of the special magic numbers for ... is: ..."); a pretrained
/// one has, which is why RULER can test it without training. Drills draw with seeds derived from the
/// run's seed and the stage length, never RULER's default 42, so no drill repeats an evaluation sample.
/// </summary>
public static class RulerDrills
{
    /// <param name="generator">RULER's generator, over the drill corpus's sentences and the run's tokenizer.</param>
    /// <param name="lengths">Stage lengths; each that holds a template gets <paramref name="perLength"/> drills, from half of it to all of it.</param>
    /// <returns>Drills made as they are read (<see cref="LazySamples"/>); which tasks fit each length is settled here.</returns>
    public static IReadOnlyList<TrainingSample> Generate(RulerGenerator generator, IReadOnlyList<int> lengths, int perLength, int seed, ITextTokenizer tokenizer)
    {
        var reserved = LocalCheckpoint.ChatOverhead(tokenizer);
        // A stage too short for every template gets none: its other sources fill its batches.
        var stages = lengths.Distinct().Order()
            .Select(length => (Length: length, Tasks: TasksAt(generator, length, reserved), Seed: StableSeed.Of(seed, length, SeedStream)))
            .Where(s => s.Tasks.Count > 0)
            .ToList();
        return new LazySamples(stages.Count * perLength, index =>
        {
            var (length, tasks, drillSeed) = stages[index / perLength];
            var i = index % perLength;
            var target = new Random(StableSeed.Of(drillSeed, i)).Next(length / 2, length + 1);
            return Draw(generator, tasks, i, perLength, target, length, drillSeed, reserved);
        });
    }

    /// <summary>Mixed into the run's seed so drills draw apart from the pass-key drills of the same run and length.</summary>
    private const long SeedStream = 0x52554c45; // "RULE"

    /// <summary>Past this length every template that fits at all fits: RULER's shortest default length.</summary>
    private const int TemplateCheckLength = 4096;

    /// <summary>
    /// The tasks whose template fits a stage (qa needs uploaded data sets and is left out). A template
    /// that fits a length fits every longer one, so a long stage is checked at 4,096 tokens: a fit
    /// check generates a whole sample, which at a million tokens would take seconds per task.
    /// </summary>
    public static IReadOnlyList<RulerTask> TasksAt(RulerGenerator generator, int length, int reservedTokens) =>
        [.. RulerTask.All.Where(t => t.Family != RulerFamily.Qa
            && generator.Fits(t, Math.Min(length, TemplateCheckLength), reservedTokens: reservedTokens))];

    /// <summary>What the model learns to write: the answer prefix, then the references as RULER's graders read them.</summary>
    public static string Response(RulerTask task, RulerSample sample) =>
        sample.AnswerPrefix + " " + string.Join(task.Family == RulerFamily.Niah ? ", " : " ", sample.Outputs);

    /// <summary>Fresh draws a drill may take before it moves on to the next task.</summary>
    private const int Attempts = 8;

    /// <summary>
    /// Drill <paramref name="i"/>: task i in turn, at <paramref name="target"/> tokens. A sample's template
    /// varies with its keys and a haystack sentence may overshoot, so a draw that does not fit is drawn
    /// afresh at the stage's full length, and a task that keeps missing gives way to the next.
    /// </summary>
    private static TrainingSample Draw(RulerGenerator generator, IReadOnlyList<RulerTask> tasks, int i, int perLength, int target, int length, int seed, int reserved)
    {
        for (var t = 0; t < tasks.Count; t++)
        {
            var task = tasks[(i + t) % tasks.Count];
            for (var attempt = 0; attempt < Attempts; attempt++)
            {
                try
                {
                    var sample = generator.Generate(task, attempt == 0 ? target : length, i + attempt * perLength, seed, reserved);
                    return new([new ChatMessage("user", sample.Input)], Response(task, sample), IsLong: false);
                }
                catch (Exception e) when (e is ArgumentException or RulerLengthException)
                {
                    // Drawn afresh on the next attempt.
                }
            }
        }
        throw new ArgumentException($"No RULER task yields a drill at {length} tokens.");
    }
}
