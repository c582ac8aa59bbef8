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
    // 129 samples short by at most 128 are kept and the 71 others refused. Each sentence is one
    // word, so none can be cut to fill the gap.
    [Fact]
    public void Generate_ShortByUpToTheUnitAllowance_AcceptedAndOneMoreRefused()
    {
        var essay = Enumerable.Range(0, 100).Select(i => $"Sentence-{i:D5}-{new string('o', 183)}.").ToList();
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

    // Sentences of 600 bytes in words of 10: at a thousand bytes whole sentences leave a sample up to
    // 600 short, past the allowance. RULER cuts its essay at a word, and so does the generator.
    [Theory]
    [InlineData("niah_single_2")]
    [InlineData("niah_multikey_1")]
    [InlineData("niah_multivalue")]
    public void Generate_EssayOfLongSentences_TheNextSentencesFirstWordsFillWhatWholeSentencesLeave(string name)
    {
        var essay = Enumerable.Range(0, 100).Select(i => string.Join(' ', Enumerable.Repeat($"word{i:D5}", 54)) + ".").ToList();
        var generator = new ByteCounter().Generator(essay);
        var task = RulerTask.Find(name);
        var cut = 0;
        for (var length = 1024; length < 1024 + 600; length += 37)
        {
            var sample = generator.Generate(task, length, index: 0);

            Assert.InRange(length - task.TokensToGenerate - sample.Length, 0, RulerGenerator.UnitAllowance);
            // Whole sentences first, then maybe part of the next: whole words of it, never a word cut in two.
            if (sample.Input.Contains(essay.First(e => !sample.Input.Contains(e, StringComparison.Ordinal))[..9], StringComparison.Ordinal)) cut++;
            Assert.DoesNotMatch(@"word\d{0,4}[^\d]", sample.Input);
        }
        Assert.True(cut >= 8, $"{cut} of 17 samples end mid-sentence");
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
