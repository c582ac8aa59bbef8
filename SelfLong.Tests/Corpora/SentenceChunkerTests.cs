using SelfLong.Jobs.Corpora.Chunking;
using SelfLong.Jobs.Text;

namespace SelfLong.Tests.Corpora;

/// <summary>
/// The chunker's exact cuts, with one token per character so every boundary can be worked out by
/// hand: how sentences pack up to the chunk size, how far the overlap steps back, how a sentence
/// longer than a chunk is cut, and what the counts add up to.
/// </summary>
public sealed class SentenceChunkerTests
{
    /// <summary>One token per character: counts and cuts anyone can check on paper.</summary>
    private sealed class CharTokens : ITokenCounter
    {
        public string Name => "chars";

        public int CountTokens(string text) => text.Length;

        public string Truncate(string text, int maxTokens) => text.Length <= maxTokens ? text : text[..maxTokens];
    }

    private static SentenceChunker Chunker(int chunkTokens, int overlapTokens) => new(new CharTokens(), chunkTokens, overlapTokens);

    [Fact]
    public void Chunk_SentencesFillingAChunkExactly_PackUpToItAndOverlapStepsBackExactlyItsSize()
    {
        // Sentences of 5, 6, 6, 6 and 6 tokens (the space before a sentence is its own).
        var text = "Aaaa. Bbbb. Cccc. Dddd. Eeee.";

        var chunked = Chunker(17, 6).Chunk(text, TestContext.Current.CancellationToken);

        // 5 + 6 + 6 = 17 fills the first chunk; the overlap takes back " Cccc." (6 = its size) but not
        // " Bbbb." too; a chunk never starts where the one before did, and the last chunk ends the text.
        Assert.Equal([("Aaaa. Bbbb. Cccc.", 17), ("Cccc. Dddd.", 12), ("Dddd. Eeee.", 12)],
            chunked.Chunks.Select(c => (c.Text, c.TokenCount)));
        Assert.Equal([0, 1, 2], chunked.Chunks.Select(c => c.Index));
        Assert.Equal(29, chunked.TokenCount);
    }

    [Fact]
    public void Chunk_NoOverlap_EachSentenceInOneChunkOnly()
    {
        var chunked = Chunker(12, 0).Chunk("Aaaa. Bbbb. Cccc. Dddd. Eeee.", TestContext.Current.CancellationToken);

        Assert.Equal([("Aaaa. Bbbb.", 11), ("Cccc. Dddd.", 12), ("Eeee.", 6)], chunked.Chunks.Select(c => (c.Text, c.TokenCount)));
    }

    [Fact]
    public void Chunk_ShortSentenceBeforeOneThatFillsAChunk_MovesOnWithoutRepeatingIt()
    {
        // "Aa." fits the overlap, but stepping back onto the chunk's own first sentence would never move on.
        var chunked = Chunker(12, 6).Chunk("Aa. Bbbbbbbbbb.", TestContext.Current.CancellationToken);

        Assert.Equal([("Aa.", 3), ("Bbbbbbbbbb.", 12)], chunked.Chunks.Select(c => (c.Text, c.TokenCount)));
    }

    [Fact]
    public void Chunk_SentenceTheSizeOfAChunk_IsNotCut()
    {
        var chunked = Chunker(10, 0).Chunk("Abcdefghi. Jk.", TestContext.Current.CancellationToken);

        Assert.Equal([("Abcdefghi.", 10), ("Jk.", 4)], chunked.Chunks.Select(c => (c.Text, c.TokenCount)));
        // With an overlap: cut in two, its last piece would be stepped back onto and start the next chunk.
        Assert.Equal(["Ab.", "Cdefghij.", "K."], Chunker(10, 2).Chunk("Ab. Cdefghij. K.", TestContext.Current.CancellationToken).Chunks.Select(c => c.Text));
    }

    [Fact]
    public void Chunk_SentenceLongerThanAChunk_CutOneTokenShortOfTheChunkSize()
    {
        var letters = string.Concat(Enumerable.Repeat("abcdefghijklmnopqrstuvwxyz", 4));

        var chunked = Chunker(17, 6).Chunk(letters, TestContext.Current.CancellationToken);

        // 104 characters in pieces of 16 (17 - 1), the last holding the 8 left; pieces never overlap.
        Assert.Equal(Enumerable.Range(0, 7).Select(i => letters[(i * 16)..Math.Min(letters.Length, i * 16 + 16)]), chunked.Chunks.Select(c => c.Text));
        Assert.Equal([16, 16, 16, 16, 16, 16, 8], chunked.Chunks.Select(c => c.TokenCount));
        Assert.Equal(104, chunked.TokenCount);
    }

    [Fact]
    public void Chunk_SentenceLongerThanTheWindow_CutThroughTheWindowAtTheSamePlaces()
    {
        // 1,300 characters without a boundary: past the first window (256), cut as a shorter one is.
        var text = string.Concat(Enumerable.Range(0, 1300).Select(i => (char)('a' + i % 26)));

        var chunked = Chunker(40, 0).Chunk(text, TestContext.Current.CancellationToken);

        Assert.All(chunked.Chunks.SkipLast(1), c => Assert.Equal(39, c.Text.Length));
        Assert.Equal(text, string.Concat(chunked.Chunks.Select(c => c.Text)));
        Assert.Equal(chunked.Chunks.Select(c => c.Text.Length), chunked.Chunks.Select(c => c.TokenCount));
        Assert.Equal(1300, chunked.TokenCount);
    }

    [Fact]
    public void Chunk_BlankLinesBetweenSentences_CountNoTokensOfTheirOwn()
    {
        var chunked = Chunker(64, 0).Chunk("Aaaa.\n\n\nBbbb\n\nCccc.", TestContext.Current.CancellationToken);

        // A blank line is a boundary; a span of blank space alone is no sentence.
        Assert.Equal([("Aaaa.\n\n\nBbbb\n\nCccc.", 18)], chunked.Chunks.Select(c => (c.Text, c.TokenCount)));
        Assert.Equal(18, chunked.TokenCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\n  ")]
    public void Chunk_NoText_NoChunks(string text)
    {
        var chunked = Chunker(16, 4).Chunk(text, TestContext.Current.CancellationToken);

        Assert.Empty(chunked.Chunks);
        Assert.Equal(0, chunked.TokenCount);
    }

    [Fact]
    public void Chunk_Cancelled_Throws()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => Chunker(16, 0).Chunk("One. Two.", cancelled.Token));
    }

    [Fact]
    public void Chunker_SmallestChunkIsEightTokens()
    {
        Assert.Equal([("Abc.", 4), ("Def.", 5)], Chunker(8, 0).Chunk("Abc. Def.", TestContext.Current.CancellationToken).Chunks.Select(c => (c.Text, c.TokenCount)));
        Assert.Contains("at least 8 tokens", Assert.Throws<ArgumentOutOfRangeException>(() => Chunker(7, 0)).Message);
        Assert.Contains("overlap", Assert.Throws<ArgumentOutOfRangeException>(() => Chunker(16, -1)).Message);
    }
}
