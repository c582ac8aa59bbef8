using SelfLong.Jobs.Corpora.Chunking;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Text;

namespace SelfLong.Tests.Corpora;

public sealed class ChunkingAndEmbeddingTests
{
    private static readonly ITokenCounter Tokens = TiktokenTokenCounter.Default;

    [Fact]
    public void Split_ManySentences_ChunksEndAtSentencesWithinBudgetAndOverlap()
    {
        var sentences = Enumerable.Range(1, 60).Select(i => $"Sentence number {i} tells of ship {i} and its crew.").ToList();
        var text = string.Join(" ", sentences);

        var chunks = new SentenceChunker(Tokens, 64, 16).Split(text);

        Assert.True(chunks.Count > 5);
        Assert.All(chunks, c => Assert.InRange(c.TokenCount, 1, 64));
        Assert.All(chunks, c => Assert.EndsWith("crew.", c.Text));
        Assert.All(chunks, c => Assert.StartsWith("Sentence number", c.Text));
        Assert.All(chunks, c => Assert.Equal(Tokens.CountTokens(c.Text), c.TokenCount));
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
        // Overlap: each chunk starts with the last sentence of the one before.
        foreach (var (previous, next) in chunks.Zip(chunks.Skip(1)))
        {
            var lastSentence = previous.Text[(previous.Text.LastIndexOf("Sentence number", StringComparison.Ordinal))..];
            Assert.StartsWith(lastSentence, next.Text);
        }
        Assert.All(sentences, s => Assert.Contains(chunks, c => c.Text.Contains(s)));
    }

    [Fact]
    public void Split_SentenceLongerThanAChunk_IsCutByTokens()
    {
        var text = string.Join(" ", Enumerable.Repeat("endless", 500)) + ". Short one.";

        var chunks = new SentenceChunker(Tokens, 100, 0).Split(text);

        Assert.All(chunks, c => Assert.InRange(c.TokenCount, 1, 100));
        Assert.Equal(text.Replace(" ", ""), string.Concat(chunks.Select(c => c.Text)).Replace(" ", ""));
    }

    [Fact]
    public void Chunker_OverlapNotSmallerThanChunk_IsRefused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SentenceChunker(Tokens, 64, 64));
        Assert.Contains("overlap", error.Message);
    }

    [Fact]
    public void LexicalEmbed_IsNormalizedDeterministic_AndSharedWordsAreCloser()
    {
        var embedder = new LexicalEmbedder(128);
        var whale = embedder.Embed("The white whale breached beside the ship.");
        var whaleAgain = embedder.Embed("The white whale breached beside the ship.");
        var similar = embedder.Embed("A white whale swam near our ship.");
        var other = embedder.Embed("Congress passed the tariff bill.");

        Assert.Equal(128, whale.Length);
        Assert.Equal(1.0, Math.Sqrt(whale.Sum(x => (double)x * x)), 1e-5);
        Assert.Equal(whale, whaleAgain);
        Assert.True(Cosine(whale, similar) > Cosine(whale, other) + 0.2);
        Assert.All(embedder.Embed("the of and"), x => Assert.Equal(0f, x));
    }

    private static double Cosine(float[] a, float[] b) => a.Zip(b).Sum(p => (double)p.First * p.Second);
}
