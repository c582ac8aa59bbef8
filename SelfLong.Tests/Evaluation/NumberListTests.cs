using SelfLong.Jobs.Evaluation;

namespace SelfLong.Tests.Evaluation;

public sealed class NumberListTests
{
    [Theory]
    [InlineData("4k, 8k", new[] { 4096, 8192 })]
    [InlineData("256 512;1K", new[] { 256, 512, 1024 })]
    [InlineData(" 0,50 , 100 ", new[] { 0, 50, 100 })]
    public void Parse_CommasSpacesAndK_GivesTheNumbers(string text, int[] expected) =>
        Assert.Equal(expected, NumberList.Parse(text));

    [Theory]
    [InlineData("4k, lots", "'lots'")]
    [InlineData("-5", "'-5'")]
    [InlineData("2.5k", "'2.5k'")]
    [InlineData("9999999k", "'9999999k'")]
    public void Parse_NotAWholeNumber_SaysWhichPart(string text, string part) =>
        Assert.Contains($"{part} is not a whole number", Assert.Throws<ArgumentException>(() => NumberList.Parse(text)).Message);
}
