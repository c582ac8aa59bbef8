using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Chunking;
using SelfLong.Jobs.Text;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

/// <summary>The chunker in one pass: the same chunks as before on real text, linear work on a sentence without end.</summary>
public sealed class ChunkerLinearityTests
{
    private static readonly ITokenCounter Tokens = TiktokenTokenCounter.Default;

    [Theory]
    [InlineData("sotu.jsonl.gz", 256, 32)]
    [InlineData("moby-dick.jsonl.gz", 64, 8)]
    public void Chunk_SampleText_SameChunksAsThePreviousChunker(string sample, int chunkTokens, int overlapTokens)
    {
        var texts = SampleTexts(sample).Take(40).ToList();
        // The samples' own sentences rarely pass a chunk: the same text without full stops has
        // only long sentences, which the window cuts.
        string[] unpunctuated = [Regex.Replace(Regex.Replace(string.Join(" ", texts.Take(12)), @"[.!?…]", ""), @"\s+", " ")];
        var chunker = new SentenceChunker(Tokens, chunkTokens, overlapTokens);

        foreach (var text in texts.Concat(unpunctuated))
        {
            var expected = PreviousChunker.Chunk(Tokens, chunkTokens, overlapTokens, text);
            var actual = chunker.Chunk(text, TestContext.Current.CancellationToken);
            Assert.Equal(expected.TokenCount, actual.TokenCount);
            Assert.Equal(expected.Chunks, actual.Chunks);
        }
        Assert.Contains(unpunctuated, t => Tokens.CountTokens(t) > 20 * chunkTokens);
    }

    [Fact]
    [Slow]
    public void Chunk_TenMillionTokensWithoutPunctuation_TokenizesEachCharacterAFewTimes()
    {
        var text = Words(10_000_000);
        var counting = new CountingTokens(Tokens);

        var chunked = new SentenceChunker(counting, 512, 0).Chunk(text, TestContext.Current.CancellationToken);

        // The previous chunker re-tokenized the rest of the sentence at every cut: about
        // length × cuts / 2 characters (here some 10^12). One pass is a small multiple of the length.
        Assert.InRange(counting.Characters, text.Length, 5L * text.Length);
        Assert.InRange(chunked.TokenCount, 10_000_000, 12_000_000);
        Assert.Equal(chunked.TokenCount, chunked.Chunks.Sum(c => (long)c.TokenCount));
        Assert.All(chunked.Chunks, c => Assert.InRange(c.TokenCount, 1, 512));
        Assert.Equal(Enumerable.Range(0, chunked.Chunks.Count), chunked.Chunks.Select(c => c.Index));
        // No overlap: the chunks are the text, in order, split at blank space.
        Assert.Equal(text.Replace(" ", ""), string.Concat(chunked.Chunks.Select(c => c.Text.Replace(" ", ""))));
        var sampled = chunked.Chunks.Where((_, i) => i % 997 == 0).ToList();
        Assert.All(sampled, c => Assert.InRange(Tokens.CountTokens(c.Text), c.TokenCount - 1, c.TokenCount + 1));
    }

    [Fact]
    public void Chunk_CancelledWhileCuttingALongSentence_StopsWithinACut()
    {
        var text = Words(2_000_000);
        using var cancel = new CancellationTokenSource();
        var counting = new CountingTokens(Tokens) { AfterCalls = (1000, cancel) };

        Assert.Throws<OperationCanceledException>(() => new SentenceChunker(counting, 256, 0).Chunk(text, cancel.Token));

        // About three tokenizer calls per cut; the whole text takes some 25 000.
        Assert.InRange(counting.Calls, 1000, 1005);
    }

    [Fact]
    public void Boundaries_HostilePunctuationAndBlankLines_SameAsThePlainPattern()
    {
        var chunker = new SentenceChunker(new ByteCountTokens(), 8, 0);
        var random = new Random(17);
        const string alphabet = "ab .!?\"')]\n\n \t…”";
        for (var n = 0; n < 2000; n++)
        {
            var text = new string(Enumerable.Range(0, random.Next(1, 60)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            Assert.Equal(PreviousChunker.Chunk(new ByteCountTokens(), 8, 0, text).Chunks, chunker.Chunk(text, TestContext.Current.CancellationToken).Chunks);
        }
        // Runs that made the plain pattern rescan at every position: a million line breaks, a million quotes.
        var hostile = "a" + new string('\n', 1_000_000) + "b" + new string('"', 1_000_000) + " c";
        var chunks = chunker.Chunk(hostile, TestContext.Current.CancellationToken).Chunks;
        Assert.Equal(Regex.Replace(hostile, @"\s", ""), string.Concat(chunks.Select(c => Regex.Replace(c.Text, @"\s", ""))));
    }

    /// <summary>Words from a small vocabulary, no punctuation, no line break: one sentence.</summary>
    private static string Words(int count)
    {
        string[] vocabulary = ["whale", "ship", "sea", "captain", "harpoon", "the", "of", "and", "storm", "sail", "deck", "rope", "night", "wind", "crew", "boat"];
        var random = new Random(3);
        var text = new StringBuilder(count * 6);
        for (var i = 0; i < count; i++)
        {
            if (i > 0) text.Append(' ');
            text.Append(vocabulary[random.Next(vocabulary.Length)]);
        }
        return text.ToString();
    }

    private static IEnumerable<string> SampleTexts(string sample)
    {
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(DemoCorpora.SamplesDirectory, sample)), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        while (reader.ReadLine() is { } line)
            yield return JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!;
    }

    /// <summary>Counts what the chunker asks of the tokenizer; can cancel a token after some calls.</summary>
    private sealed class CountingTokens(ITokenCounter inner) : ITokenCounter
    {
        public long Characters { get; private set; }
        public int Calls { get; private set; }
        public (int Calls, CancellationTokenSource Source)? AfterCalls { get; init; }

        public string Name => inner.Name;

        public int CountTokens(string text) => Count(text, () => inner.CountTokens(text));

        public string Truncate(string text, int maxTokens) => Count(text, () => inner.Truncate(text, maxTokens));

        private T Count<T>(string text, Func<T> call)
        {
            Characters += text.Length;
            Calls++;
            if (AfterCalls is { } after && Calls == after.Calls) after.Source.Cancel();
            return call();
        }
    }

    /// <summary>One token per character: boundaries alone decide the chunks.</summary>
    private sealed class ByteCountTokens : ITokenCounter
    {
        public string Name => "chars";
        public int CountTokens(string text) => text.Length;
        public string Truncate(string text, int maxTokens) => text.Length <= maxTokens ? text : text[..maxTokens];
    }
}
