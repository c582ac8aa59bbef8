using System.Text.RegularExpressions;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Corpora.Chunking;

/// <summary>A piece of a document: whole sentences, at most the chunk size in tokens.</summary>
public sealed record TextChunk(int Index, string Text, int TokenCount);

/// <summary>A document's chunks and its token count.</summary>
public sealed record ChunkedText(List<TextChunk> Chunks, long TokenCount);

/// <summary>
/// Splits text into chunks of at most <c>chunkTokens</c> tokens that end at sentence boundaries,
/// each starting with up to <c>overlapTokens</c> tokens of the previous chunk's last sentences
/// (so a fact split across a boundary is whole in one of them). A sentence longer than a chunk
/// is cut by tokens. Text is tokenized once, sentence by sentence: a chunk's and a document's
/// counts are the sums of their sentences' counts. Boundaries sit before the blank space, where
/// tiktoken's pre-tokenizer splits anyway, so the sums match a whole-text count except where
/// punctuation and a following line break form one pre-token (then the sum is a token higher).
/// </summary>
public sealed partial class SentenceChunker
{
    private readonly ITokenCounter tokens;
    private readonly int chunkTokens;
    private readonly int overlapTokens;

    public SentenceChunker(ITokenCounter tokens, int chunkTokens, int overlapTokens)
    {
        if (chunkTokens < 8) throw new ArgumentOutOfRangeException(nameof(chunkTokens), chunkTokens, "A chunk needs at least 8 tokens.");
        if (overlapTokens < 0 || overlapTokens >= chunkTokens)
            throw new ArgumentOutOfRangeException(nameof(overlapTokens), overlapTokens, $"The overlap must be from 0 to less than the chunk size ({chunkTokens}).");
        this.tokens = tokens;
        this.chunkTokens = chunkTokens;
        this.overlapTokens = overlapTokens;
    }

    // A boundary sits after ., ! or ? (and closing quotes or brackets) before blank space, or at a
    // blank line. The space goes with the next sentence, which keeps tiktoken's pre-tokens intact.
    [GeneratedRegex(@"(?<=[.!?…][""'”’)\]]*)(?=\s)|(?=\n\s*\n)")]
    private static partial Regex Boundary();

    public List<TextChunk> Split(string text) => Chunk(text).Chunks;

    public ChunkedText Chunk(string text)
    {
        var sentences = Sentences(text);
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
            // Step back over trailing sentences that fit in the overlap, but always move forward.
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

    private readonly record struct Sentence(int Start, int End, int Tokens);

    private List<Sentence> Sentences(string text)
    {
        var result = new List<Sentence>();
        var start = 0;
        foreach (var boundary in Boundary().EnumerateMatches(text))
        {
            if (boundary.Index > start) Add(text, start, boundary.Index, result);
            start = boundary.Index;
        }
        if (start < text.Length) Add(text, start, text.Length, result);
        return result;
    }

    private void Add(string text, int start, int end, List<Sentence> result)
    {
        var span = text[start..end];
        if (string.IsNullOrWhiteSpace(span)) return;
        var count = tokens.CountTokens(span);
        while (count > chunkTokens)
        {
            // A sentence longer than a chunk: cut it by tokens, one short, because a piece that
            // loses its leading space when trimmed can take one token more.
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
