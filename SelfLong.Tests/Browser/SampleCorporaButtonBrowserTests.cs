using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Browser;

/// <summary>The overview's "Load sample corpora" button: an editor's click starts both samples' ingestions and opens the first corpus.</summary>
[NeedsBrowser]
public sealed partial class SampleCorporaButtonBrowserTests(AppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task LoadSampleCorpora_Editor_StartsAnIngestionPerSampleAndOpensTheFirst_ViewerHasNoButton()
    {
        var ct = TestContext.Current.CancellationToken;
        var viewer = await browser.OpenSignedInAsync(app, "/", AppFixture.ViewerEmail);
        await viewer.Locator("[data-testid=count-Documents]").WaitForAsync();
        Assert.Equal(0, await viewer.Locator("[data-testid=load-demo-corpora]").CountAsync());
        await viewer.Context.CloseAsync();

        var factory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        long lastRun;
        await using (var db = await factory.CreateDbContextAsync(ct))
            lastRun = await db.IngestionRuns.MaxAsync(r => (long?)r.Id, ct) ?? 0;
        var page = await browser.OpenSignedInAsync(app, "/", AppFixture.EditorEmail);

        await page.ClickAsync("[data-testid=load-demo-corpora]");

        await page.WaitForURLAsync(url => CorpusUrl().IsMatch(url));
        var opened = long.Parse(CorpusUrl().Match(page.Url).Groups[1].Value, CultureInfo.InvariantCulture);
        var corpora = app.Services.GetRequiredService<CorpusService>();
        var ingestion = app.Services.GetRequiredService<IngestionService>();
        // Left to finish, not cancelled: the demo pipeline takes a sample corpus holding any documents as it is.
        foreach (var sample in DemoCorpora.Samples)
        {
            var corpus = await corpora.FindByNameAsync(sample.Name, ct);
            Assert.NotNull(corpus);
            Assert.Contains(await ingestion.RecentAsync(corpus.Id, 20, ct), r => r.Id > lastRun && r.FileList.Single().FileName == sample.FileName);
        }
        Assert.Equal((await corpora.FindByNameAsync(DemoCorpora.Samples[0].Name, ct))!.Id, opened);
        await page.Context.CloseAsync();
    }

    [GeneratedRegex(@"/corpora/(\d+)$")]
    private static partial Regex CorpusUrl();
}
