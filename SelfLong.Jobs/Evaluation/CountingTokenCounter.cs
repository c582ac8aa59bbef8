using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// A token counter that adds up the characters it was given, per thread, so `bench eval` can say
/// how many times each task tokenizes its prompt (the figure that bounds generation time).
/// </summary>
public sealed class CountingTokenCounter(ITokenCounter inner) : ITokenCounter
{
    private readonly ThreadLocal<long> characters = new(trackAllValues: true);

    public string Name => inner.Name;

    /// <summary>Characters tokenized on the calling thread so far.</summary>
    public long CharactersOnThisThread => characters.Value;

    public int CountTokens(string text)
    {
        characters.Value += text.Length;
        return inner.CountTokens(text);
    }

    public string Truncate(string text, int maxTokens) => TruncateCounted(text, maxTokens).Text;

    public (string Text, int Tokens) TruncateCounted(string text, int maxTokens)
    {
        characters.Value += text.Length;
        return inner.TruncateCounted(text, maxTokens);
    }
}
