using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation.Targets;

/// <summary>The target's own tokenizer seen as a token counter, so prompts are sized in its tokens.</summary>
public sealed class TargetTokenCounter(IEvaluationTarget target) : ITokenCounter
{
    public string Name => target.TokenizerName;

    public int CountTokens(string text) => text.Length == 0 ? 0 : target.CountTokens(text);

    public string Truncate(string text, int maxTokens)
    {
        if (maxTokens <= 0) return "";
        int lo = 0, hi = text.Length;
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            if (CountTokens(text[..mid]) <= maxTokens) lo = mid;
            else hi = mid - 1;
        }
        return text[..lo];
    }
}
