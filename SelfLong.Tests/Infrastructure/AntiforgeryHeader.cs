using System.Net;
using System.Net.Http.Json;

namespace SelfLong.Tests.Infrastructure;

/// <summary>
/// Does what the dashboard's own scripts do: a signed-in client's API request that changes data
/// carries the antiforgery token from GET /api/auth/antiforgery. Fetched again whenever the
/// sign-in cookie changes (the token belongs to one user). Requests that set the header
/// themselves, or carry a bearer token, are left alone.
/// </summary>
public sealed class AntiforgeryHeader(CookieContainer cookies) : DelegatingHandler(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false })
{
    private sealed record Token(string HeaderName, string Value);

    private (string Cookie, Token Token)? cached;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (Needs(request) && await TokenAsync(request.RequestUri!, ct) is { } token && !request.Headers.Contains(token.HeaderName))
            request.Headers.Add(token.HeaderName, token.Value);
        return await base.SendAsync(request, ct);
    }

    private static bool Needs(HttpRequestMessage request) =>
        request.RequestUri is { AbsolutePath: var path } && path.StartsWith("/api/", StringComparison.Ordinal) && path != "/api/auth/signin"
        && request.Method != HttpMethod.Get && request.Method != HttpMethod.Head
        && request.Headers.Authorization is null;

    private async Task<Token?> TokenAsync(Uri uri, CancellationToken ct)
    {
        var cookie = cookies.GetCookies(uri)["selflong.auth"]?.Value;
        if (cookie is null) return null;
        if (cached is { } c && c.Cookie == cookie) return c.Token;
        using var response = await base.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(uri, "/api/auth/antiforgery")), ct);
        if (response.StatusCode != HttpStatusCode.OK) return null;
        var body = await response.Content.ReadFromJsonAsync<Dictionary<string, string>>(ct);
        var token = new Token(body!["headerName"], body["token"]);
        cached = (cookie, token);
        return token;
    }
}
