using SelfLong.Jobs.Storage;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

[NeedsBrowser]
public sealed class LocalCheckpointEndpointWebTests(AppFixture app, BrowserFixture browser) : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly TinyCheckpoint checkpoint = new(maxPositions: 2048);

    private static ILocator Field(IPage page, string testId) =>
        page.Locator($"[data-testid='{testId}'] input, input[data-testid='{testId}']").First;

    [Fact]
    public async Task Api_LocalCheckpoint_ValidatesFolderAndTestGenerates()
    {
        using var client = await app.CreateSignedInClientAsync();
        var missing = Path.Combine(checkpoint.Folder, "nope");
        var name = $"api-local-{Guid.NewGuid():N}"[..24];

        var invalid = await client.PostAsJsonAsync("/api/endpoints", new { name, kind = 2, checkpointPath = missing }, Ct);
        var created = await client.PostAsJsonAsync("/api/endpoints", new { name, kind = 2, checkpointPath = checkpoint.Folder, maxNewTokens = 4 }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains(ServerPaths.Refusal(ServerPathKind.Folder), await invalid.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var endpoint = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(2048, endpoint.GetProperty("contextWindow").GetInt32());
        Assert.Equal("cpu", endpoint.GetProperty("device").GetString());
        var test = await client.PostAsync($"/api/endpoints/{endpoint.GetProperty("id").GetInt64()}/test", null, Ct);
        var result = await test.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(result.GetProperty("ok").GetBoolean(), result.GetProperty("message").GetString());
        Assert.StartsWith($"Loaded {Path.GetFileName(checkpoint.Folder)} on cpu and generated ", result.GetProperty("message").GetString());
    }

    [Fact]
    public async Task EndpointsTab_AddLocalCheckpoint_ShowsFolderErrorThenTestsConnection()
    {
        var page = await browser.OpenSignedInAsync(app, "/synthesis");
        var name = $"ui-local-{Guid.NewGuid():N}"[..20];
        var missing = Path.Combine(checkpoint.Folder, "nope");

        await page.ClickAsync(".mud-tab:has-text('Model endpoints')");
        await page.ClickAsync("[data-testid='endpoint-kind']");
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "Local checkpoint" }).ClickAsync();
        await Field(page, "endpoint-name").FillAsync(name);
        await Field(page, "endpoint-folder").FillAsync(missing);
        await Field(page, "endpoint-max-new-tokens").FillAsync("4");
        await Field(page, "endpoint-max-new-tokens").PressAsync("Tab");
        await page.ClickAsync("[data-testid='endpoint-create']");
        await page.GetByText(ServerPaths.Refusal(ServerPathKind.Folder)).WaitForAsync();

        await Field(page, "endpoint-folder").FillAsync(checkpoint.Folder);
        await Field(page, "endpoint-folder").PressAsync("Tab");
        await page.ClickAsync("[data-testid='endpoint-create']");
        var row = page.Locator("[data-testid='endpoint-row']", new() { HasTextString = name });
        await row.WaitForAsync();
        Assert.Contains(checkpoint.Folder, await row.InnerTextAsync());
        Assert.Contains("up to 4 new tokens", await row.InnerTextAsync());
        await row.Locator("[data-testid='test-endpoint']").ClickAsync();
        await Assertions.Expect(row.Locator("[data-testid='test-result']")).ToContainTextAsync("Loaded", new() { Timeout = 30_000 });
        await page.Context.CloseAsync();
    }

    public void Dispose() => checkpoint.Dispose();
}
