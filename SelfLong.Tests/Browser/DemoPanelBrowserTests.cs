using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SelfLong.Data;
using SelfLong.Data.Demo;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Progress;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Browser;

[NeedsBrowser]
public sealed class DemoPanelBrowserTests(AppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task DemoPanel_StatusShownWithTheRunStatusChip_FollowsTheDemoLive()
    {
        var ct = TestContext.Current.CancellationToken;
        var factory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        var demo = new DemoRun { Status = RunStatus.Running, Step = "train", Message = "stage 2 of 3" };
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            db.DemoRuns.Add(demo);
            await db.SaveChangesAsync(ct);
        }
        var page = await browser.OpenSignedInAsync(app, "/");
        var chip = page.Locator("[data-testid=demo-panel] [data-testid=demo-status]");
        await Assertions.Expect(chip).ToHaveTextAsync("Running");
        await Assertions.Expect(chip).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-chip"));
        await Assertions.Expect(chip).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-chip-color-info"));

        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            await db.DemoRuns.Where(d => d.Id == demo.Id).ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, RunStatus.Succeeded).SetProperty(d => d.Message, (string?)null), ct);
        }
        app.Services.GetRequiredService<ProgressPublisher>().Publish(ProgressFeatures.Demo, demo.Id);
        await Assertions.Expect(chip).ToHaveTextAsync("Succeeded", new() { Timeout = 10_000 });
        // The colour every other page gives "Succeeded" (StatusChip), not a demo-only style.
        await Assertions.Expect(chip).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-chip-color-success"));
        await page.Context.CloseAsync();
    }
}
