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
/// One pass, linear in the text: a long sentence is cut through a window a little longer than a
/// chunk, never by re-tokenizing the rest of the sentence for every cut (which made a 50 MB
/// record without a full stop take hours).
/// </summary>
public sealed partial class SentenceChunker
{
    /// <summary>First window for cutting a long sentence, in characters per chunk token (English runs about 4).</summary>
    private const int WindowCharsPerToken = 8;

    private const int MinWindowChars = 256;

    /// <summary>
    /// Tokens a window must hold past a chunk: the window's last word may be cut off and tokenize
    /// differently, and the cut has to sit before it to land where the whole sentence would be cut.
    /// </summary>
    private const int WindowMarginTokens = 16;

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
    // The blank-space test comes before the look-behind and the blank line is matched as "line
    // break, non-breaking blank space, line break": both say the same as the plain forms, but
    // neither rescans a long run of quotes or line breaks at every position (quadratic on hostile text).
    [GeneratedRegex(@"(?=\s)(?<=[.!?…][""'”’)\]]*)|(?=\n[^\S\n]*\n)")]
    private static partial Regex Boundary();

    public List<TextChunk> Split(string text) => Chunk(text).Chunks;

    public ChunkedText Chunk(string text, CancellationToken ct = default)
    {
        var sentences = Sentences(text, ct);
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

    private List<Sentence> Sentences(string text, CancellationToken ct)
    {
        var result = new List<Sentence>();
        var start = 0;
        foreach (var boundary in Boundary().EnumerateMatches(text))
        {
            if (boundary.Index > start) Add(text, start, boundary.Index, result, ct);
            start = boundary.Index;
        }
        if (start < text.Length) Add(text, start, text.Length, result, ct);
        return result;
    }

    private void Add(string text, int start, int end, List<Sentence> result, CancellationToken ct)
    {
        if (text.AsSpan(start, end - start).IsWhiteSpace()) return;
        var windowChars = Math.Max(MinWindowChars, chunkTokens * WindowCharsPerToken);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            string span;
            if (end - start <= windowChars)
            {
                span = text[start..end];
                var count = tokens.CountTokens(span);
                if (count <= chunkTokens)
                {
                    result.Add(new Sentence(start, end, count));
                    return;
                }
            }
            else
            {
                // Only the window is tokenized. Its first chunk and margin of tokens is where the
                // whole rest would be cut; a window without that many tokens is widened.
                var window = text.Substring(start, windowChars);
                span = tokens.Truncate(window, chunkTokens + WindowMarginTokens);
                if (span.Length == window.Length)
                {
                    windowChars *= 2;
                    continue;
                }
            }
            // A sentence longer than a chunk: cut it by tokens, one short, because a piece that
            // loses its leading space when trimmed can take one token more.
            var head = tokens.Truncate(span, chunkTokens - 1);
            if (head.Length == 0) head = span[..1];
            result.Add(new Sentence(start, start + head.Length, tokens.CountTokens(head)));
            start += head.Length;
            // The rest of a sentence mostly runs on like its head: the next window is a little longer than this cut.
            windowChars = Math.Max(MinWindowChars, head.Length + head.Length / 4 + 64);
        }
    }
}
