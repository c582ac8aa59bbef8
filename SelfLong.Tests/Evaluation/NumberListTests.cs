using SelfLong.Jobs.Evaluation;

namespace SelfLong.Tests.Evaluation;

public sealed class NumberListTests
{
    [Theory]
    [InlineData("4k, 8k", new[] { 4096, 8192 })]
    [InlineData("256 512;1K", new[] { 256, 512, 1024 })]
    [InlineData(" 0,50 , 100 ", new[] { 0, 50, 100 })]
    [InlineData("512k,1M, 1m", new[] { 524288, 1048576, 1048576 })]
    public void Parse_CommasSpacesAndK_GivesTheNumbers(string text, int[] expected) =>
        Assert.Equal(expected, NumberList.Parse(text));

    [Theory]
    [InlineData("4k, lots", "'lots'")]
    [InlineData("-5", "'-5'")]
    [InlineData("2.5k", "'2.5k'")]
    [InlineData("9999999k", "'9999999k'")]
    [InlineData("4096M", "'4096M'")]
    public void Parse_NotAWholeNumber_SaysWhichPart(string text, string part) =>
        Assert.Contains($"{part} is not a whole number", Assert.Throws<ArgumentException>(() => NumberList.Parse(text)).Message);

    [Fact]
    public void LengthOption_TakesSuffixesAndSaysWhatIsWrong()
    {
        var length = NumberList.LengthOption("--max-length", "Longest", 4096);
        var command = new System.CommandLine.RootCommand { length };

        Assert.Equal(1048576, command.Parse(["--max-length", "1M"]).GetValue(length));
        Assert.Equal(4096, command.Parse([]).GetValue(length));
        var bad = command.Parse(["--max-length", "lots"]);
        Assert.Contains(bad.Errors, e => e.Message.Contains("'lots' is not a whole number"));
    }
}
