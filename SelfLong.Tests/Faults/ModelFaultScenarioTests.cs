using SelfLong.Jobs.Faults;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Faults;

[NeedsDatabase]
public sealed class ModelFaultScenarioTests(AppFixture app)
{
    [Fact]
    public async Task FaultyModelServer_SynthesisAndRulerFinishWithTheHealthyResults()
    {
        var report = await ModelFaultScenarios.RunAsync(app.Services, TestContext.Current.CancellationToken);

        Assert.True(report.Injected["dropped"] + report.Injected["server_errors"] + report.Injected["rate_limited"] > 0, "no fault was injected");
        foreach (var outcome in new[] { report.Synthesis, report.Ruler })
        {
            Assert.True(outcome.Status == "Succeeded", outcome.Message);
            Assert.True(outcome.Lost == 0, $"{outcome.Lost} lost: {outcome.Message}");
            Assert.Equal(0, outcome.Doubled);
            Assert.Equal(outcome.Expected, outcome.SameAsHealthy);
        }
    }
}
