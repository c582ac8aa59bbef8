using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>
/// Sizing a haystack to a token budget: a binary search on a cheap estimate (sums of per-piece
/// token counts), then one real count of the whole prompt, stepping down when the pieces' sum
/// under-counted. Every loop here ends: the unit count only decreases.
/// </summary>
internal static class TokenFit
{
    /// <summary>The largest n in [0, max] whose estimate fits the budget; the estimate must not decrease with n.</summary>
    public static int Largest(int max, long budget, Func<int, long> estimate)
    {
        int lo = 0, hi = max;
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            if (estimate(mid) <= budget) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>A first count this far under the budget gets one top-up (RULER allows 2 %).</summary>
    private const double TopUpBelow = 0.015;

    /// <summary>
    /// The prompt of <paramref name="units"/> units counted for real, stepped down while over the
    /// budget; when an estimate left it well short and the haystack can grow (up to
    /// <paramref name="maxUnits"/> units, when given), one top-up with the units the gap holds.
    /// </summary>
    public static (string Input, int Tokens, int Units) Exact(int units, int budget, double tokensPerUnit, Func<int, string> build,
        ITokenCounter tokenizer, string task, int length, int? maxUnits = null)
    {
        var perUnit = Math.Max(tokensPerUnit, 0.5);
        var input = build(units);
        var tokens = tokenizer.CountTokens(input);
        if (maxUnits is { } most && tokens <= budget && budget - tokens > budget * TopUpBelow && units < most)
        {
            var more = Math.Min(most, units + (int)((budget - tokens) / perUnit) - 1);
            // Over the budget after all, it is stepped down below like any first count.
            if (more > units)
            {
                (units, input) = (more, build(more));
                tokens = tokenizer.CountTokens(input);
            }
        }
        while (true)
        {
            if (tokens <= budget) return (input, tokens, units);
            if (units == 0)
                throw new ArgumentException(
                    $"{task}: the prompt without any haystack already takes {tokens} tokens, more than the {budget} that length {length} leaves; choose a longer length.");
            var excess = (int)Math.Ceiling((tokens - budget) / perUnit);
            units = Math.Max(0, units - Math.Max(1, excess));
            input = build(units);
            tokens = tokenizer.CountTokens(input);
        }
    }
}
