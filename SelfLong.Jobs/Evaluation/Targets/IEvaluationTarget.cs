namespace SelfLong.Jobs.Evaluation.Targets;

/// <summary>A model under evaluation: measures lengths with its own tokenizer and answers greedily.</summary>
public interface IEvaluationTarget : IDisposable
{
    /// <summary>Plain words about what this is ("chat completions at http://host/v1, model m"); never holds a secret.</summary>
    string Describe();

    /// <summary>The longest context, in tokens, the target supports; longer cells are not run.</summary>
    int MaxLength { get; }

    /// <summary>Name of the tokenizer <see cref="CountTokens"/> uses.</summary>
    string TokenizerName { get; }

    int CountTokens(string text);

    /// <summary>Tokens the target adds around a prompt (its chat template); prompts are sized to leave room for them.</summary>
    int TemplateTokens => 0;

    /// <summary>Where the answer prefix goes in the prompt, in plain words; shown with the run.</summary>
    string PromptLayout { get; }

    /// <summary>Anything to learn from the target before the first prompt (a chat server's support for prefill).</summary>
    Task PrepareAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Greedy generation. <paramref name="prompt"/> is the user turn; <paramref name="answerPrefix"/>
    /// starts the answer (RULER puts it after the chat template).
    /// </summary>
    Task<string> GenerateAsync(string prompt, string answerPrefix, int maxTokens, CancellationToken ct);
}
