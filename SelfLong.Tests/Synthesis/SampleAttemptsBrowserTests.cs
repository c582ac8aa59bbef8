using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SelfLong.Data;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Synthesis;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

/// <summary>The run's sample table and the sample page show each sample's attempts and when a failed one is tried again.</summary>
[NeedsBrowser]
public sealed class SampleAttemptsBrowserTests(AppFixture app, BrowserFixture browser)
{
    private static readonly DateTimeOffset Due = new(2031, 5, 6, 7, 8, 9, TimeSpan.Zero);

    [Fact]
    public async Task RunPage_FailedSampleWaitingForRetry_ShowsItsAttemptsAndRetryTime()
    {
        var ct = TestContext.Current.CancellationToken;
        var (corpusId, _) = await app.HandMadeAsync();
        var endpoint = await app.Services.GetRequiredService<ModelEndpointService>().EnsureExtractiveAsync(ct);
        var (run, errors) = await app.Services.GetRequiredService<SynthesisRunService>().CreateAsync(
            new NewSynthesisRun($"attempts {Guid.NewGuid():N}"[..20], corpusId, endpoint.Id, 3), ct);
        Assert.Empty(errors);
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct))
        {
            db.SynthesisSamples.AddRange(
                new Sample { RunId = run!.Id, Index = 0, Status = SampleStatus.Completed, Attempts = 2, Instruction = "done on the second try" },
                new Sample { RunId = run.Id, Index = 1, Status = SampleStatus.Failed, Attempts = 1, RetryAt = Due, Error = "the endpoint stayed down" },
                new Sample { RunId = run.Id, Index = 2, Status = SampleStatus.Failed, Attempts = 3, Error = "the endpoint stayed down again" });
            await db.SaveChangesAsync(ct);
        }
        var page = await browser.OpenSignedInAsync(app, $"/synthesis/runs/{run.Id}");

        var rows = page.Locator("[data-testid='sample-table'] tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        await Assertions.Expect(rows.Nth(0).Locator("[data-testid='sample-status-chip']")).ToHaveTextAsync("Completed");
        await Assertions.Expect(rows.Nth(0).Locator("[data-testid='sample-attempts']")).ToHaveTextAsync("done at attempt 2");
        await Assertions.Expect(rows.Nth(1).Locator("[data-testid='sample-status-chip']")).ToHaveTextAsync("Failed");
        await Assertions.Expect(rows.Nth(1).Locator("[data-testid='sample-attempts']"))
            .ToHaveTextAsync("1 attempt failed · tried again at 2031-05-06 07:08:09Z");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("the endpoint stayed down");
        await Assertions.Expect(rows.Nth(2).Locator("[data-testid='sample-attempts']")).ToHaveTextAsync("out of attempts after 3 attempts");

        await rows.Nth(1).ClickAsync();
        await page.Locator("[data-testid='sample-heading']").WaitForAsync();
        await Assertions.Expect(page.Locator("[data-testid='sample-failed'] [data-testid='sample-attempts']"))
            .ToHaveTextAsync("1 attempt failed · tried again at 2031-05-06 07:08:09Z");
        await page.Context.CloseAsync();
    }
}
