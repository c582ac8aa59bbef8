using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Models;

/// <summary>
/// What training, generation and perplexity need from a tokenizer; it also counts and cuts text, so
/// a model's own tokenizer can measure synthesis lengths (<see cref="TokenCounters"/>).
/// </summary>
public interface ITextTokenizer : ITokenCounter
{
    int VocabSize { get; }

    /// <summary>Plain text to ids, without begin-of-text.</summary>
    IReadOnlyList<int> Encode(string text);

    string Decode(IEnumerable<int> ids);

    /// <summary>The Llama-3 chat markers (ids of &lt;|begin_of_text|&gt; and friends).</summary>
    ChatTokens Chat { get; }
}

/// <summary>Ids of the special tokens the Llama-3 chat format is built from.</summary>
public sealed record ChatTokens(int BeginOfText, int EndOfText, int StartHeader, int EndHeader, int EndOfTurn)
{
    /// <summary>Generation stops at either end marker.</summary>
    public IReadOnlySet<int> Stops => new HashSet<int> { EndOfText, EndOfTurn };
}
