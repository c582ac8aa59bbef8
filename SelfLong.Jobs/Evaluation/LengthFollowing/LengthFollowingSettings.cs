namespace SelfLong.Jobs.Evaluation.LengthFollowing;

/// <summary>A length-following run's settings, stored with the run: the grid of required word counts and the prompts per count.</summary>
public sealed record LengthFollowingSettings
{
    /// <summary>
    /// Word counts from short answers to the long outputs the paper's long-output data trains for
    /// (documents of 2k-32k tokens, about 1.5k-24k words).
    /// </summary>
    public static readonly IReadOnlyList<int> DefaultRequiredWords = [250, 500, 1000, 2000, 4000, 8000];

    public const int DefaultPromptsPerLength = 4;

    /// <summary>
    /// Generation budget per required word. English prose runs about 1.3 tokens a word, so 2 leaves
    /// room for an output half again as long as asked before it is cut.
    /// </summary>
    public const double DefaultTokensPerWord = 2.0;

    /// <summary>Tokens the prompt itself takes, at most (a short writing task and the length instruction).</summary>
    public const int PromptTokens = 128;

    public IReadOnlyList<int> RequiredWords { get; init; } = DefaultRequiredWords;
    public int PromptsPerLength { get; init; } = DefaultPromptsPerLength;
    public double TokensPerWord { get; init; } = DefaultTokensPerWord;

    /// <summary>The most tokens the target may write when asked for <paramref name="words"/> words.</summary>
    public int MaxNewTokens(int words) => (int)Math.Ceiling(words * TokensPerWord) + 32;

    /// <summary>The context a request at this length takes: prompt and budget must fit the target's maximum length.</summary>
    public int ContextNeeded(int words) => PromptTokens + MaxNewTokens(words);
}
