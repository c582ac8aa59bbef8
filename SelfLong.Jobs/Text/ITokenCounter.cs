namespace SelfLong.Jobs.Text;

/// <summary>Counts tokens the way a particular model's tokenizer does.</summary>
public interface ITokenCounter
{
    /// <summary>Short name shown in the UI and stored with counts, e.g. "cl100k_base".</summary>
    string Name { get; }

    int CountTokens(string text);

    /// <summary>The longest prefix of <paramref name="text"/> with at most <paramref name="maxTokens"/> tokens.</summary>
    string Truncate(string text, int maxTokens);

    /// <summary><see cref="Truncate"/> with the prefix's token count, in one pass where the tokenizer allows.</summary>
    (string Text, int Tokens) TruncateCounted(string text, int maxTokens)
    {
        var prefix = Truncate(text, maxTokens);
        return (prefix, CountTokens(prefix));
    }
}
