using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SelfLong.Data;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>
/// The interactive API page (/api-reference) over the OpenAPI document: both need sign-in, the
/// dashboard links to it, it lists the app's routes in Chromium, and it loads nothing from elsewhere
/// (its script ships with the app; fonts, telemetry and the chat are off). A request it sends that changes
/// data carries the antiforgery header, so it is carried out; the same request without it is still refused.
/// </summary>
[NeedsBrowser]
public sealed class ApiReferenceBrowserTests(AppFixture app, BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignedOut_PageRedirectsToSignIn_DocumentAnswers401()
    {
        using var anonymous = app.CreatePlainClient();

        var page = await anonymous.GetAsync("/api-reference/", Ct);
        var document = await anonymous.GetAsync("/api/openapi/v1.json", Ct);

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Contains("/account/signin", page.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, document.StatusCode);
    }

    [Fact]
    public async Task SignedIn_GetPageAndDocument_BothServed()
    {
        using var viewer = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);

        var page = await viewer.GetAsync("/api-reference/", Ct);
        var document = await viewer.GetAsync("/api/openapi/v1.json", Ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<title>SelfLong API", html);
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        var json = await document.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.StartsWith("3.", json.GetProperty("openapi").GetString());
        Assert.True(json.GetProperty("paths").TryGetProperty("/api/training/runs", out _));
    }

    [Fact]
    public async Task Document_DeclaresTokenAndCookie_EitherIsEnough()
    {
        using var viewer = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);
        var document = await viewer.GetFromJsonAsync<JsonElement>("/api/openapi/v1.json", Ct);

        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        var bearer = schemes.GetProperty("Bearer");
        var cookie = schemes.GetProperty("Cookie");
        Assert.Equal(("http", "bearer"), (bearer.GetProperty("type").GetString(), bearer.GetProperty("scheme").GetString()));
        Assert.Equal(("apiKey", "cookie", "selflong.auth"),
            (cookie.GetProperty("type").GetString(), cookie.GetProperty("in").GetString(), cookie.GetProperty("name").GetString()));
        Assert.Contains("/api/auth/antiforgery", cookie.GetProperty("description").GetString());
        // Two requirements, one scheme each: a token or a cookie, not both at once.
        Assert.Equal([["Bearer"], ["Cookie"]], document.GetProperty("security").EnumerateArray()
            .Select(r => r.EnumerateObject().Select(p => p.Name).ToArray()).ToArray());
    }

    [Fact]
    public async Task SignedIn_FromTheNavigation_PageListsTheApiFromThisServerOnly()
    {
        var page = await browser.OpenSignedInAsync(app, "/", AppFixture.ViewerEmail);
        var elsewhere = new List<string>();
        var errors = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Url.StartsWith("http", StringComparison.Ordinal) && !request.Url.StartsWith(app.BaseAddress.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal))
                elsewhere.Add(request.Url);
        };
        page.PageError += (_, error) => errors.Add(error);

        await page.ClickAsync(".mud-nav-link:has-text('API')");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/api-reference/?$"));

        // A known route, by its path as the document names it, under its group in the sidebar.
        var sidebar = page.GetByRole(AriaRole.Complementary);
        var group = sidebar.GetByRole(AriaRole.Link, new() { Name = "Training", Exact = true });
        await Assertions.Expect(group).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await group.ClickAsync();
        await Assertions.Expect(sidebar.GetByRole(AriaRole.Link, new() { Name = "/api/training/runs HTTP Method: GET" })).ToBeVisibleAsync();
        // No toolbar whose buttons hand the document to a hosted service.
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Share" })).ToHaveCountAsync(0);
        await Assertions.Expect(page).ToHaveTitleAsync(new System.Text.RegularExpressions.Regex("SelfLong API"));
        Assert.True(elsewhere.Count == 0, "Requests off this server: " + string.Join(", ", elsewhere));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SendFromThePage_PostCarriesTheAntiforgeryHeader_CorpusCreated_WithoutItRefused()
    {
        var page = await browser.SignedInPageAsync(app, AppFixture.EditorEmail);
        await page.GotoAsync("/api-reference/");
        var name = $"apiref-{Guid.NewGuid():N}"[..20];
        var forgedName = $"apiref-{Guid.NewGuid():N}"[..20];

        var sidebar = page.GetByRole(AriaRole.Complementary);
        var group = sidebar.GetByRole(AriaRole.Link, new() { Name = "Corpora", Exact = true });
        await Assertions.Expect(group).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await group.ClickAsync();
        await sidebar.GetByRole(AriaRole.Link, new() { Name = "/api/corpora HTTP Method: POST" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Test Request (post /api/corpora)" }).ClickAsync();
        // The body editor: replace the example body with one corpus of this test's own (inserted, not typed, so no brackets are auto-closed).
        var body = page.Locator(".cm-content[data-language='json']").Last;
        await body.ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.InsertTextAsync($"{{\"name\": \"{name}\"}}");
        var sent = page.WaitForResponseAsync(r => r.Request.Method == "POST" && r.Url.EndsWith("/api/corpora", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex(@"^Send post request to .*\/api\/corpora$") }).ClickAsync();
        var response = await sent;
        var headerName = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>>().Value.HeaderName!;
        var header = await response.Request.HeaderValueAsync(headerName);

        // The same request from the same signed-in page, cookie and all, but without the header: what a forged one sends.
        var forged = await page.EvaluateAsync<int>(
            "async name => (await fetch('/api/corpora', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) })).status",
            forgedName);

        Assert.True(response.Status == 201, $"{response.Status} {await response.TextAsync()}; sent with: {string.Join(", ", (await response.Request.AllHeadersAsync()).Keys)}");
        Assert.False(string.IsNullOrEmpty(header));
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Response" })).ToContainTextAsync("201");
        Assert.Equal(400, forged);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        Assert.True(await db.Corpora.AnyAsync(c => c.Name == name, Ct));
        Assert.False(await db.Corpora.AnyAsync(c => c.Name == forgedName, Ct));
        await page.Context.CloseAsync();
    }
}
