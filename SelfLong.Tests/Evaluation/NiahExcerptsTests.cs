using SelfLong.Jobs.Evaluation.Niah;

namespace SelfLong.Tests.Evaluation;

public sealed class NiahExcerptsTests
{
    [Fact]
    public void Needle_InALongPrompt_KeepsTheNeedleAndItsSurroundingsWithMarksWhereCut()
    {
        var before = new string('a', 1000);
        var after = new string('b', 1000);
        var excerpt = NiahExcerpts.Needle(before + "NEEDLE" + after, "NEEDLE")!;
        Assert.Equal("…" + new string('a', NiahExcerpts.AroundNeedle) + "NEEDLE" + new string('b', NiahExcerpts.AroundNeedle) + "…", excerpt);
    }

    [Fact]
    public void Needle_NearTheStartOrMissing_NoMarkBeforeOrNull()
    {
        Assert.Equal("x NEEDLE y", NiahExcerpts.Needle("x NEEDLE y", "NEEDLE"));
        Assert.Null(NiahExcerpts.Needle("no needle here", "NEEDLE"));
    }

    [Fact]
    public void End_LongAndShortPrompts_KeepsTheLastCharacters()
    {
        var prompt = new string('a', 1000) + "Question?";
        Assert.Equal("…" + prompt[^NiahExcerpts.EndLength..], NiahExcerpts.End(prompt));
        Assert.Equal("Question?", NiahExcerpts.End("Question?"));
    }
}
