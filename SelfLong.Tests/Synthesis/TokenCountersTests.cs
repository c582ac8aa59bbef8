using SelfLong.Jobs.Models;
using SelfLong.Jobs.Text;

namespace SelfLong.Tests.Synthesis;

public sealed class TokenCountersTests
{
    [Fact]
    public void Resolve_NamesAndModelFolders_GiveTheirTokenizers()
    {
        var folder = Directory.CreateTempSubdirectory("selflong-target-tokenizer-").FullName;
        try
        {
            ByteTokenizer.WriteMarker(folder);

            Assert.Same(TiktokenTokenCounter.Default, TokenCounters.Resolve(null));
            Assert.Same(TiktokenTokenCounter.Default, TokenCounters.Resolve(" cl100k_base "));
            Assert.Same(ByteTokenizer.Instance, TokenCounters.Resolve("bytes"));
            Assert.Same(ByteTokenizer.Instance, TokenCounters.Resolve(folder));
            Assert.Equal(11, TokenCounters.Resolve("bytes").CountTokens("añ白🐋x"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Problem_UnknownNameOrFolderWithoutTokenizer_SaysWhatIsExpected()
    {
        var empty = Directory.CreateTempSubdirectory("selflong-no-tokenizer-").FullName;
        try
        {
            Assert.Null(TokenCounters.Problem("bytes"));
            Assert.Contains("is not cl100k_base, bytes, or a model folder", TokenCounters.Problem("/nowhere/llama-3-8b"));
            Assert.Contains("has no tokenizer", TokenCounters.Problem(empty));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Theory]
    [InlineData(0, "", 0)]
    [InlineData(3, "añ", 3)]
    [InlineData(5, "añ", 3)] // 白 needs three more bytes
    [InlineData(6, "añ白", 6)]
    [InlineData(9, "añ白", 6)] // the whale is four bytes and one character of two UTF-16 units
    [InlineData(10, "añ白🐋", 10)]
    [InlineData(50, "añ白🐋x", 11)]
    public void ByteTokenizerTruncateCounted_CutsBetweenCharactersWithinTheByteBudget(int maxBytes, string expected, int bytes)
    {
        var (text, count) = ByteTokenizer.Instance.TruncateCounted("añ白🐋x", maxBytes);

        Assert.Equal(expected, text);
        Assert.Equal(bytes, count);
        Assert.Equal(count, ByteTokenizer.Instance.Encode(text).Count);
    }
}
