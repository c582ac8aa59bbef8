using SelfLong.Jobs.Evaluation.Niah;

namespace SelfLong.Tests.Evaluation;

/// <summary>
/// NIAH's scores as numbers: Fu et al.'s recall, their script's whitespace variant, and the judge's
/// rating. Pure functions, so they run in the fast suite (and under mutation testing).
/// </summary>
public sealed class NiahScorerTests
{
    private const string FullAnswer = NiahTests.FullAnswer;

    [Theory]
    [InlineData(FullAnswer, 1.0)]
    [InlineData("Eat a sandwich.", 3 / 11.0)]
    [InlineData("I do not know.", 0.0)]
    [InlineData("EAT A SANDWICH AND SIT IN DOLORES PARK ON A SUNNY DAY", 1.0)]
    public void Recall_FuAnswer_FractionOfElevenWords(string response, double expected) =>
        Assert.Equal(expected, NiahScorer.Recall(response, NiahSettings.FuAnswer), 6);

    [Theory]
    [InlineData("Eat a sandwich and sit in Dolores Park on a sunny day", 1.0)]
    [InlineData("Eat a sandwich and sit in Dolores Park on a sunny day.", 10 / 11.0)]
    [InlineData("Eat a sandwich.", 2 / 11.0)]
    [InlineData("   ", 0.0)]
    public void ScriptRecall_FuAnswer_WhitespaceWordsAsTheirScript(string response, double expected) =>
        Assert.Equal(expected, NiahScorer.ScriptRecall(response, NiahSettings.FuAnswer), 6);

    [Theory]
    [InlineData("8", 0.8)]
    [InlineData("Score: 10", 1.0)]
    [InlineData("It names the park but not the sandwich, 2 of 3 parts. Rating: [[7]]", 0.7)]
    public void ParseJudge_Number_ScaledToOne(string judged, double expected) => Assert.Equal(expected, NiahScorer.ParseJudge(judged));

    [Fact]
    public void ParseJudge_NoScore_Throws() => Assert.Throws<InvalidDataException>(() => NiahScorer.ParseJudge("great answer"));
}
