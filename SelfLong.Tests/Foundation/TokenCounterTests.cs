using SelfLong.Jobs.Text;

namespace SelfLong.Tests.Foundation;

public sealed class TokenCounterTests
{
    [Fact]
    public void CountTokens_KnownText_MatchesCl100k()
    {
        // "hello world" is two tokens in cl100k_base ("hello", " world").
        Assert.Equal(2, TiktokenTokenCounter.Default.CountTokens("hello world"));
        Assert.Equal(0, TiktokenTokenCounter.Default.CountTokens(""));
    }

    [Fact]
    public void Truncate_LongText_KeepsAtMostMaxTokens()
    {
        var text = string.Join(' ', Enumerable.Repeat("whale ship sea", 100));
        var cut = TiktokenTokenCounter.Default.Truncate(text, 10);
        Assert.True(TiktokenTokenCounter.Default.CountTokens(cut) <= 10);
        Assert.StartsWith(cut, text);
        Assert.True(cut.Length > 0);
    }
}
