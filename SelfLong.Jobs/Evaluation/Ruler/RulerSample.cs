namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>
/// One RULER sample, shaped like a row of RULER's data files: the prompt, the reference strings,
/// the prompt's length in tokens (input plus answer prefix, by the tokenizer that built it) and the
/// answer prefix that goes after the chat template.
/// </summary>
public sealed record RulerSample(int Index, string Input, IReadOnlyList<string> Outputs, int Length, string AnswerPrefix);
