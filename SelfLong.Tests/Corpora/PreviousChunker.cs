using System.Text.RegularExpressions;
using SelfLong.Jobs.Corpora.Chunking;
using SelfLong.Jobs.Text;

namespace SelfLong.Tests.Corpora;

/// <summary>
/// The sentence chunker as it was before it was made linear, kept as the oracle its boundaries are
/// compared with: it re-tokenizes the rest of a long sentence at every cut (quadratic), and its
/// boundary pattern rescans runs of quotes and line breaks. Use it on short texts only.
/// </summary>
internal static partial class PreviousChunker
{
    [GeneratedRegex(@"(?<=[.!?…][""'”’)\]]*)(?=\s)|(?=\n\s*\n)")]
    private static partial Regex Boundary();

    private readonly record struct Sentence(int Start, int End, int Tokens);

    public static ChunkedText Chunk(ITokenCounter tokens, int chunkTokens, int overlapTokens, string text)
    {
        var sentences = Sentences(tokens, chunkTokens, text);
        var chunks = new List<TextChunk>();
        var i = 0;
        while (i < sentences.Count)
        {
            var j = i;
            var total = 0;
            while (j < sentences.Count && (j == i || total + sentences[j].Tokens <= chunkTokens))
            {
                total += sentences[j].Tokens;
                j++;
            }
            var chunkText = text[sentences[i].Start..sentences[j - 1].End].Trim();
            if (chunkText.Length > 0) chunks.Add(new TextChunk(chunks.Count, chunkText, total));
            if (j >= sentences.Count) break;
            var k = j;
            var overlap = 0;
            while (k - 1 > i && overlap + sentences[k - 1].Tokens <= overlapTokens)
            {
                overlap += sentences[k - 1].Tokens;
                k--;
            }
            i = k;
        }
        return new ChunkedText(chunks, sentences.Sum(x => (long)x.Tokens));
    }

    private static List<Sentence> Sentences(ITokenCounter tokens, int chunkTokens, string text)
    {
        var result = new List<Sentence>();
        var start = 0;
        foreach (var boundary in Boundary().EnumerateMatches(text))
        {
            if (boundary.Index > start) Add(tokens, chunkTokens, text, start, boundary.Index, result);
            start = boundary.Index;
        }
        if (start < text.Length) Add(tokens, chunkTokens, text, start, text.Length, result);
        return result;
    }

    private static void Add(ITokenCounter tokens, int chunkTokens, string text, int start, int end, List<Sentence> result)
    {
        var span = text[start..end];
        if (string.IsNullOrWhiteSpace(span)) return;
        var count = tokens.CountTokens(span);
        while (count > chunkTokens)
        {
            var head = tokens.Truncate(span, chunkTokens - 1);
            if (head.Length == 0) head = span[..1];
            result.Add(new Sentence(start, start + head.Length, tokens.CountTokens(head)));
            start += head.Length;
            span = text[start..end];
            count = tokens.CountTokens(span);
        }
        result.Add(new Sentence(start, end, count));
    }
}
