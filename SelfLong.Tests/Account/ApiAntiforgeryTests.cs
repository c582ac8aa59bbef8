using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>A cookie-signed-in API request that changes data needs the antiforgery token; a forged one (cookie only) is refused.</summary>
[NeedsDatabase]
public sealed class ApiAntiforgeryTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Signed in with the cookie and nothing else: what another site can make a browser send.</summary>
    private async Task<HttpClient> CookieOnlyAsync()
    {
        var client = app.CreatePlainClient();
        (await client.PostAsJsonAsync("/api/auth/signin", new { email = AppFixture.AdminEmail, password = app.AdminPassword }, Ct)).EnsureSuccessStatusCode();
        return client;
    }

    private static object NewEndpoint() => new { name = $"csrf-{Guid.NewGuid():N}"[..20], kind = "OpenAiCompatible", baseUrl = "http://127.0.0.1:9/v1", model = "m" };

    [Fact]
    public async Task CookieWithoutToken_Refused_WithTheTokenAccepted()
    {
        using var client = await CookieOnlyAsync();

        var forged = await client.PostAsJsonAsync("/api/endpoints", NewEndpoint(), Ct);
        // A multipart upload and a POST with no body are covered the same way.
        using var upload = new MultipartFormDataContent { { new ByteArrayContent("hello"u8.ToArray()), "files", "a.txt" } };
        var forgedUpload = await client.PostAsync("/api/corpora/999999999/uploads", upload, Ct);
        var token = await client.GetFromJsonAsync<JsonElement>("/api/auth/antiforgery", Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/endpoints") { Content = JsonContent.Create(NewEndpoint()) };
        request.Headers.Add(token.GetProperty("headerName").GetString()!, token.GetProperty("token").GetString());
        var genuine = await client.SendAsync(request, Ct);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/endpoints") { Content = JsonContent.Create(NewEndpoint()) };
        wrong.Headers.Add(token.GetProperty("headerName").GetString()!, "not-the-token");
        var wrongToken = await client.SendAsync(wrong, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("antiforgery", await forged.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.BadRequest, forgedUpload.StatusCode);
        Assert.Contains("antiforgery", await forgedUpload.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.Created, genuine.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongToken.StatusCode);
    }

    [Fact]
    public async Task TokenFromAnotherSession_Refused()
    {
        using var viewer = app.CreatePlainClient();
        (await viewer.PostAsJsonAsync("/api/auth/signin", new { email = AppFixture.ViewerEmail, password = app.AdminPassword }, Ct)).EnsureSuccessStatusCode();
        var viewerToken = await viewer.GetFromJsonAsync<JsonElement>("/api/auth/antiforgery", Ct);
        using var admin = await CookieOnlyAsync();
        await admin.GetFromJsonAsync<JsonElement>("/api/auth/antiforgery", Ct);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/endpoints") { Content = JsonContent.Create(NewEndpoint()) };
        request.Headers.Add(viewerToken.GetProperty("headerName").GetString()!, viewerToken.GetProperty("token").GetString());
        var response = await admin.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Anonymous_StillGets401NotAnAntiforgeryError()
    {
        using var client = app.CreatePlainClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/endpoints", NewEndpoint(), Ct)).StatusCode);
    }
}
