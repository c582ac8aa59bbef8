using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation.Targets;

/// <summary>The target's own tokenizer seen as a token counter, so prompts are sized in its tokens.</summary>
public sealed class TargetTokenCounter(IEvaluationTarget target) : ITokenCounter
{
    public string Name => target.TokenizerName;

    public int CountTokens(string text) => text.Length == 0 ? 0 : target.CountTokens(text);

    public string Truncate(string text, int maxTokens) => TokenCounters.LongestPrefix(this, text, maxTokens);
}
