using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using SelfLong.Jobs.Endpoints;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>Model URLs may not name link-local or cloud metadata addresses (SelfLong:Outbound, on by default).</summary>
[NeedsBrowser]
public sealed class OutboundAddressTests(AppFixture app, BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("169.254.169.254", true)]
    [InlineData("169.254.0.1", true)]
    [InlineData("::ffff:169.254.169.254", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00:ec2::254", true)]
    [InlineData("100.100.100.200", true)]
    [InlineData("168.63.129.16", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.0.0.5", false)]
    [InlineData("::1", false)]
    [InlineData("fd00:ec2::253", false)]
    [InlineData("169.253.255.255", false)]
    public void IsDenied_LinkLocalAndMetadataOnly(string address, bool denied) =>
        Assert.Equal(denied, OutboundAddresses.IsDenied(IPAddress.Parse(address)));

    [Fact]
    public async Task Problem_NamesAndResolvedNames_OffWhenTurnedOff()
    {
        Assert.Contains("link-local", await OutboundAddresses.Default.ProblemAsync("http://[fd00:ec2::254]/latest/", Ct));
        Assert.Null(await OutboundAddresses.Default.ProblemAsync("http://localhost:8000/v1", Ct));
        var off = new OutboundAddresses(Options.Create(new OutboundOptions { DenyLinkLocalAndMetadata = false }));
        Assert.Null(await off.ProblemAsync("http://169.254.169.254/v1", Ct));
    }

    [Fact]
    public async Task Api_MetadataUrl_ValidationProblemOnBaseUrl_NothingStored()
    {
        using var admin = await app.CreateSignedInClientAsync();
        var name = $"imds-{Guid.NewGuid():N}"[..20];

        var refused = await admin.PostAsJsonAsync("/api/endpoints", new { name, kind = "OpenAiCompatible", baseUrl = "http://169.254.169.254/latest/meta-data", model = "m" }, Ct);
        var endpoints = await admin.GetStringAsync("/api/endpoints", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var errors = (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.Contains("link-local or cloud metadata", errors.GetProperty("baseUrl")[0].GetString());
        Assert.DoesNotContain(name, endpoints);
    }

    [Fact]
    public async Task EndpointForm_MetadataUrl_ErrorUnderTheUrlField()
    {
        var page = await browser.OpenSignedInAsync(app, "/synthesis");
        await page.ClickAsync(".mud-tab:has-text('Model endpoints')");
        ILocator Field(string id) => page.Locator($"[data-testid='{id}'] input, input[data-testid='{id}']").First;
        await Field("endpoint-name").FillAsync($"imds-{Guid.NewGuid():N}"[..16]);
        await Field("endpoint-model").FillAsync("m");
        await Field("endpoint-url").FillAsync("http://169.254.169.254/v1");
        await page.ClickAsync("[data-testid='endpoint-create']");

        var field = page.Locator(".mud-input-control:has([data-testid='endpoint-url'])").Last;
        await Assertions.Expect(field).ToContainTextAsync("link-local or cloud metadata");
        await page.Context.CloseAsync();
    }
}
