using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Foundation;

[NeedsDatabase]
public sealed class HealthTests(AppFixture app)
{
    [Fact]
    public async Task Health_Anonymous_ReportsDatabaseAndHangfireReady()
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", json.RootElement.GetProperty("checks").GetProperty("database").GetString());
        Assert.Equal("Healthy", json.RootElement.GetProperty("checks").GetProperty("hangfire").GetString());
    }

    [Theory]
    [InlineData("/api/auth/me")]
    [InlineData("/api/system/checks/1")]
    [InlineData("/api/openapi/v1.json")]
    public async Task Api_Anonymous_Returns401(string path)
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/corpora")]
    [InlineData("/jobs")]
    public async Task Page_Anonymous_RedirectsToSignIn(string path)
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/signin", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task SignIn_WrongPassword_Returns401()
    {
        using var client = app.CreateClient();
        var response = await client.PostAsync("/api/auth/signin",
            JsonContent.Create(new { email = AppFixture.AdminEmail, password = "not-the-password" }), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
