using SelfLong.Jobs.Evaluation.Ruler;

namespace SelfLong.Tests.Evaluation;

public sealed class RulerMetricsTests
{
    [Theory]
    [InlineData("The numbers are 1234567 and 7654321.", 1.0)]
    [InlineData("Only 1234567 is there.", 0.5)]
    [InlineData("Nothing here.", 0.0)]
    public void StringMatchAll_HandMadeCases_FractionOfReferencesFound(string prediction, double expected) =>
        Assert.Equal(expected, RulerMetrics.StringMatchAll(prediction, ["1234567", "7654321"]));

    [Fact]
    public void StringMatchAll_CaseInsensitive() =>
        Assert.Equal(1.0, RulerMetrics.StringMatchAll("answer: SHINY-LAMP", ["shiny-lamp"]));

    [Theory]
    [InlineData("It was Amos.", 1.0)]
    [InlineData("the wharves", 0.0)]
    [InlineData("ITS WHARVES, clearly", 1.0)]
    public void StringMatchPart_AnyReferenceCounts(string prediction, double expected) =>
        Assert.Equal(expected, RulerMetrics.StringMatchPart(prediction, ["Amos", "its wharves"]));

    [Fact]
    public void Normalize_ControlCharacters_BecomeNewlinesAndTrim() =>
        Assert.Equal("a\nb", RulerMetrics.Normalize("\u0002a\u0007b\t"));

    [Fact]
    public void TaskScore_MeanTimesHundred() =>
        Assert.Equal(50.0, RulerMetrics.TaskScore([1.0, 0.0, 0.5, 0.5]));

    [Fact]
    public void Summary_PublishedLlama31Figures_GiveWeightedAveragesAndEffectiveLength()
    {
        // Llama-3.1-8B-Instruct's published RULER averages (EVALUATION.md): wAvg-inc 85.4, wAvg-dec 91.3.
        double[] averages = [95.5, 93.8, 91.6, 87.4, 84.7, 77.0];
        var scores = new Dictionary<(string, int), double>();
        for (var i = 0; i < averages.Length; i++) scores[("niah_single_1", RulerTask.DefaultLengths[i])] = averages[i];
        var summary = RulerSummary.From(scores);

        Assert.Equal(85.4, summary.WeightedAverageIncreasing!.Value, 1);
        Assert.Equal(91.3, summary.WeightedAverageDecreasing!.Value, 1);
        Assert.Equal(32768, summary.EffectiveLength);
        Assert.Equal("covers 1 of 13 tasks (missing: niah_single_2, niah_single_3, niah_multikey_1, niah_multikey_2, niah_multikey_3, niah_multivalue, niah_multiquery, vt, cwe, fwe, qa_1, qa_2)", summary.Coverage);
    }

    [Fact]
    public void Summary_AverageIsPlainMeanOverTasksAtLength()
    {
        var scores = new Dictionary<(string, int), double>
        {
            [("vt", 4096)] = 100, [("cwe", 4096)] = 50, [("fwe", 4096)] = 90,
            [("vt", 8192)] = 80, [("cwe", 8192)] = 10, [("fwe", 8192)] = 60,
        };
        var summary = RulerSummary.From(scores);
        Assert.Equal([80.0, 50.0], summary.AverageByLength.Select(a => a!.Value));
        Assert.Null(summary.EffectiveLength);
        Assert.Equal(["vt", "cwe", "fwe"], summary.Tasks);
    }
}
