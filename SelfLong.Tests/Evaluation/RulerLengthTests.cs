using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Text;

namespace SelfLong.Tests.Evaluation;

/// <summary>
/// What a RULER length promises: the prompt, the chat template's tokens and the tokens to generate
/// stay within it, and a sample that falls short of it by more than RULER's 2 % (or one haystack
/// unit at short lengths) is refused rather than scored as if it were at its length.
/// </summary>
public sealed class RulerLengthTests
{
    [Fact]
    public void Generate_ReservedTemplateTokens_LeftOutOfThePrompt()
    {
        var task = RulerTask.Find("niah_single_1");

        var sample = RulerFixtures.Generator.Generate(task, 8192, index: 0, reservedTokens: 500);

        Assert.InRange(sample.Length + task.TokensToGenerate + 500, 8192 * 0.98, 8192);
    }

    // 128 tokens is exactly a niah task's tokens to generate: nothing is left for the prompt.
    [Fact]
    public void Generate_LengthOnlyHoldsTheAnswer_RefusedForNoRoom()
    {
        var error = Assert.Throws<ArgumentException>(() => RulerFixtures.Generator.Generate(RulerTask.Find("niah_single_1"), 128, 0));

        Assert.Equal("niah_single_1: length 128 leaves no room for a prompt.", error.Message);
    }

    // Sentences of 200 bytes: over 200 consecutive lengths the prompt falls short of its length by
    // each of 0 to 199 tokens once. Below 6,400 tokens 2 % is under the 128-token allowance, so the
    // 129 samples short by at most 128 are kept and the 71 others refused.
    [Fact]
    public void Generate_ShortByUpToTheUnitAllowance_AcceptedAndOneMoreRefused()
    {
        var essay = Enumerable.Range(0, 100).Select(i => $"Sentence {i:D5} {new string('o', 183)}.").ToList();
        var generator = new ByteCounter().Generator(essay);
        var task = RulerTask.Find("niah_single_2");
        var accepted = 0;
        for (var length = 4096; length < 4096 + 200; length++)
        {
            try
            {
                var sample = generator.Generate(task, length, index: 0);
                Assert.InRange(length - task.TokensToGenerate - sample.Length, 0, RulerGenerator.UnitAllowance);
                accepted++;
            }
            catch (RulerLengthException) { }
        }

        Assert.Equal(RulerGenerator.UnitAllowance + 1, accepted);
    }

    [Fact]
    public void CanGenerate_QaTask_OnlyWithAnUploadedSetThatHasQuestions()
    {
        var empty = new QaDataset(QaDatasetKind.Squad, ["A document no question asks about."], []);
        // A one-sentence essay: these generators are asked, not run.
        string[] essay = ["A short essay."];
        var withEmpty = new RulerGenerator(RulerResources.Create(TiktokenTokenCounter.Default, essay, squad: empty));
        var withNone = new RulerGenerator(RulerResources.Create(TiktokenTokenCounter.Default, essay));

        Assert.True(RulerFixtures.Generator.CanGenerate(RulerTask.Find("qa_1")));
        Assert.False(withEmpty.CanGenerate(RulerTask.Find("qa_1")));
        Assert.False(withNone.CanGenerate(RulerTask.Find("qa_2")));
        Assert.True(withNone.CanGenerate(RulerTask.Find("niah_single_1")));
    }
}
