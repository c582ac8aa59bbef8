using System.Text;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Text;

namespace SelfLong.Tests.Evaluation;

/// <summary>
/// One token per UTF-8 byte, so a prompt's count is the sum of its pieces' and every fit can be
/// worked out by hand; a text longer than <paramref name="longText"/> characters can be made to cost
/// <paramref name="longTextShift"/> tokens more or fewer, as a tokenizer whose merges make a whole
/// prompt count differently from its pieces. It keeps what it was asked to count: tokenizing whole
/// prompts is what generation spends its time on.
/// </summary>
internal sealed class ByteCounter(int longText = int.MaxValue, int longTextShift = 0) : ITokenCounter
{
    private readonly List<string> counted = [];

    public string Name => "bytes";

    public int CountTokens(string text)
    {
        lock (counted) counted.Add(text);
        return Encoding.UTF8.GetByteCount(text) + (text.Length > longText ? longTextShift : 0);
    }

    public string Truncate(string text, int maxTokens) => throw new NotSupportedException("RULER generation does not truncate.");

    /// <summary>How many of the texts counted since the generator was made were at least this long.</summary>
    public int CountedAtLeast(int characters)
    {
        lock (counted) return counted.Count(t => t.Length >= characters);
    }

    /// <summary>How many of the texts counted since the generator was made match.</summary>
    public int Counted(Func<string, bool> which)
    {
        lock (counted) return counted.Count(which);
    }

    /// <summary>A generator over these counts (the bundled prose unless an essay is given), with preparation's counts forgotten.</summary>
    public RulerGenerator Generator(IReadOnlyList<string>? essay = null)
    {
        var generator = new RulerGenerator(RulerResources.Create(this, essay));
        lock (counted) counted.Clear();
        return generator;
    }
}
