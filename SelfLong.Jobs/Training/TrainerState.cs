using System.Text.Json;
using System.Text.Json.Serialization;

namespace SelfLong.Jobs.Training;

/// <summary>
/// What a checkpoint needs beyond weights and optimizer moments to continue exactly: where in
/// the schedule it stopped and where in the data. Data order and sampling are pure functions of
/// the seed and these counters, so no RNG state is needed beyond them.
/// </summary>
public sealed record TrainerState
{
    public const string FileName = "trainer_state.json";
    public const string OptimizerFile = "optimizer.safetensors";

    [JsonPropertyName("global_step")] public int GlobalStep { get; init; }
    [JsonPropertyName("stage")] public int Stage { get; init; }
    [JsonPropertyName("step_in_stage")] public int StepInStage { get; init; }
    [JsonPropertyName("optimizer_step")] public long OptimizerStep { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("stream_draws")] public long StreamDraws { get; init; }
    [JsonPropertyName("stream_taken")] public long[] StreamTaken { get; init; } = [];

    /// <summary>Samples cut or skipped to fit their stage up to this checkpoint (zero in older checkpoints).</summary>
    [JsonPropertyName("truncation")] public TruncationCounts Truncation { get; init; }

    /// <summary>
    /// Every step's metrics up to this checkpoint, as Hugging Face's trainer_state.json keeps its
    /// log history: a worker killed before its last steps' metrics reached the database leaves
    /// them here, and a resume stores them from here (empty in older checkpoints).
    /// </summary>
    [JsonPropertyName("log_history")] public IReadOnlyList<StepMetrics> LogHistory { get; init; } = [];

    public void Save(string dir) =>
        CheckpointWriter.WriteAllTextAtomic(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The state of a folder, or null when it has none or a torn one (that folder is not resumable).</summary>
    public static TrainerState? TryLoad(string dir)
    {
        try
        {
            return File.Exists(Path.Combine(dir, FileName)) ? Load(dir) : null;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or IOException)
        {
            return null;
        }
    }

    public static TrainerState Load(string dir) =>
        JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(dir, FileName)))
        ?? throw new InvalidDataException($"{FileName} in {dir} is empty.");
}
