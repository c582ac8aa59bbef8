using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Evaluation.Targets;

/// <summary>
/// A checkpoint folder evaluated in process with TorchSharp (KV-cache greedy decoding), prompts in
/// the Llama-3 chat layout with the answer prefix after the generation prompt, as RULER does.
/// </summary>
public sealed class LocalCheckpointTarget(LocalCheckpoint checkpoint, int maxLength) : IEvaluationTarget
{
    public int MaxLength { get; } = maxLength > 0 ? maxLength : checkpoint.MaxPositionEmbeddings;

    /// <summary>The loaded model, for what only a local checkpoint gives: token log-likelihoods (perplexity).</summary>
    public LocalCheckpoint Checkpoint => checkpoint;

    public string TokenizerName => checkpoint.Tokenizer.Name;

    public int TemplateTokens => checkpoint.ChatOverheadTokens;

    public string PromptLayout => "answer prefix after the Llama-3 assistant header";

    public string Describe() =>
        $"local checkpoint {Path.GetFileName(checkpoint.Directory.TrimEnd('/'))} (rope_theta {checkpoint.RopeTheta:g}, " +
        $"max_position_embeddings {checkpoint.MaxPositionEmbeddings})";

    public int CountTokens(string text) => checkpoint.CountTokens(text);

    public Task<string> GenerateAsync(string prompt, string answerPrefix, int maxTokens, CancellationToken ct) =>
        Task.Run(() => checkpoint.GenerateChat([new ChatMessage("user", prompt)], maxTokens, ct: ct, assistantPrefix: answerPrefix), ct);

    public void Dispose() => checkpoint.Dispose();
}

/// <summary>Opens checkpoint folders for evaluation.</summary>
public sealed class LocalCheckpointTargets : ILocalCheckpointTargets
{
    public IEvaluationTarget Open(string folder, int maxLength)
    {
        if (!Directory.Exists(folder))
            // With workers on several machines, the usual cause is a worker whose storage root is not the shared one.
            throw new DirectoryNotFoundException($"Checkpoint folder {folder} does not exist on this worker ({Environment.MachineName}). " +
                $"Training runs write their checkpoints under {Storage.StorageOptions.RootSetting}, which must be the same shared folder, " +
                "mounted at the same path, on every machine.");
        return new LocalCheckpointTarget(LocalCheckpoint.Load(folder), maxLength);
    }
}
