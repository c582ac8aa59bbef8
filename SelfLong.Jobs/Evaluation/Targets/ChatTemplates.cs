namespace SelfLong.Jobs.Evaluation.Targets;

/// <summary>
/// Chat templates SelfLong applies for completions endpoints, as RULER does (scripts/data/template.py):
/// the task text goes in the user turn and the answer prefix, with its leading space, right after the
/// assistant header.
/// </summary>
public static class ChatTemplates
{
    public static readonly IReadOnlyList<string> Names = ["none", "llama-3", "chatml"];

    public static string Apply(string template, string prompt, string answerPrefix) => template switch
    {
        "none" => prompt + answerPrefix,
        "llama-3" => $"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{answerPrefix}",
        "chatml" => $"<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n{answerPrefix}",
        _ => throw new ArgumentException($"Unknown chat template '{template}'. Known: {string.Join(", ", Names)}."),
    };
}
