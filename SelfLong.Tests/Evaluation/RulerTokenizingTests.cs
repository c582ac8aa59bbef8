using System.Text;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Text;

namespace SelfLong.Tests.Evaluation;

/// <summary>
/// Generation time is tokenizing time: a sample should tokenize its prompt about once (the one
/// real count that makes its length exact), not once per fitting pass or once more in pieces.
/// </summary>
public sealed class RulerTokenizingTests
{
    public static TheoryData<string> Tasks() => new(RulerTask.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Tasks))]
    public void Generate_At32k_TokenizesAboutOnePromptsWorth(string name)
    {
        var counter = new CountingTokenCounter(TiktokenTokenCounter.Default);
        var generator = new RulerGenerator(RulerResources.Create(counter,
            squad: QaDataset.Parse(QaDatasetKind.Squad, new MemoryStream(Encoding.UTF8.GetBytes(RulerFixtures.SquadJson))),
            hotpotQa: QaDataset.Parse(QaDatasetKind.HotpotQa, new MemoryStream(Encoding.UTF8.GetBytes(RulerFixtures.HotpotJson)))));
        var task = RulerTask.Find(name);
        // The first sample fills the per-data-set caches (document costs, the QA frame); later ones read them.
        generator.Generate(task, 4096, 0);

        long prompts = 0, tokenized = 0;
        for (var index = 1; index <= 3; index++)
        {
            var before = counter.CharactersOnThisThread;
            var sample = generator.Generate(task, 32768, index);
            tokenized += counter.CharactersOnThisThread - before;
            prompts += sample.Input.Length;
            Assert.InRange(RulerFixtures.Count(sample.Input) + RulerFixtures.Count(sample.AnswerPrefix) + task.TokensToGenerate, 32768 * 0.98, 32768);
        }
        Assert.True(tokenized <= prompts * 1.25, $"{name} tokenized {tokenized / (double)prompts:0.00} times its prompts' characters");
    }
}
