using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SelfLong.Data.Identity;
using SelfLong.Jobs.Accounts;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Account;

namespace SelfLong.Tests.Account;

/// <summary>
/// Every route the app maps (its own EndpointDataSource: API routes, pages, the job dashboard,
/// the Blazor hub) names a policy or allows anonymous access on purpose, and each role gets what
/// the rule for that route says: Viewer reads, Editor changes, Admin manages users and endpoints; an API
/// token of either scope likewise.
/// </summary>
[NeedsDatabase]
public sealed class RoleMatrixTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Routes anyone may reach, besides static files: signing in, accepting an invite (its link is the key), being told "no access", and health probes.</summary>
    private static readonly string[] Anonymous = ["/api/auth/signin", "/account/signin", "/account/invite", "/account/denied", "/health", "/health/live", "/error",
        // The API page's own script and icon, served from its package like static files (the page and the document need sign-in).
        "/api-reference/scalar.js", "/api-reference/scalar.aspnetcore.js", "/api-reference/favicon.svg"];

    /// <summary>Changes a viewer may make: to their own session.</summary>
    private static readonly string[] ViewerChanges = ["/account/signout", "/_blazor"];

    /// <summary>Routes only an admin reaches (any method); changes under /api/endpoints are admin-only too.</summary>
    private static readonly string[] AdminOnly = ["/admin", "/api/admin", "/api/users"];

    private IEnumerable<RouteEndpoint> Routes() =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();

    private static string PathOf(RouteEndpoint e) => "/" + (e.RoutePattern.RawText ?? "").TrimStart('/');

    private static bool IsStaticFile(RouteEndpoint e) =>
        e.Metadata.Any(m => m.GetType().Name == "StaticAssetDescriptor");

    /// <summary>The methods a route answers; a page's POST is its static-rendered form, and pages count as reads.</summary>
    private static IReadOnlyList<string> Methods(RouteEndpoint e) =>
        e.Metadata.Any(m => m.GetType().Name == "ComponentTypeMetadata") ? ["GET"]
        : e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods is { Count: > 0 } m ? [.. m] : ["GET"];

    /// <summary>The least role the rule gives a route: null for anonymous.</summary>
    private static string? Expected(RouteEndpoint e)
    {
        var path = PathOf(e);
        if (IsStaticFile(e) || Anonymous.Contains(path)) return null;
        var reads = Methods(e).All(m => m is "GET" or "HEAD");
        if (AdminOnly.Any(p => path.StartsWith(p, StringComparison.Ordinal))) return Roles.Admin;
        if (!reads && path.StartsWith("/api/endpoints", StringComparison.Ordinal)) return Roles.Admin;
        if (reads || ViewerChanges.Any(p => path.StartsWith(p, StringComparison.Ordinal))) return Roles.Viewer;
        return Roles.Editor;
    }

    private static ClaimsPrincipal Principal(string? role) => role is null
        ? new ClaimsPrincipal(new ClaimsIdentity())
        : new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, $"{role}@x"), new Claim(ClaimTypes.Role, role)], "test"));

    [Fact]
    public void EveryRoute_NamesAPolicyOrIsAnonymousOnPurpose()
    {
        var routes = Routes().ToList();
        Assert.Contains(routes, r => PathOf(r) == "/api/training/runs");
        Assert.Contains(routes, r => PathOf(r) == "/admin/users");

        var unnamed = routes.Where(r => r.Metadata.GetMetadata<IAllowAnonymous>() is null
                && !r.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => Policies.All.Contains(a.Policy)))
            // The framework's static-file fallback reads under the fallback policy, which is Viewer's.
            .Where(r => !(r.Metadata.Any(m => m.GetType().Name == "FallbackMetadata") && Methods(r).All(m => m is "GET" or "HEAD")))
            .Select(r => $"{string.Join(",", Methods(r))} {PathOf(r)} ({r.DisplayName})").ToList();
        var anonymous = routes.Where(r => r.Metadata.GetMetadata<IAllowAnonymous>() is not null && Expected(r) is not null)
            .Select(r => $"{string.Join(",", Methods(r))} {PathOf(r)}").ToList();

        Assert.True(unnamed.Count == 0, "No policy: " + string.Join("; ", unnamed));
        Assert.True(anonymous.Count == 0, "Anonymous without being on the list: " + string.Join("; ", anonymous));
    }

    [Fact]
    public async Task EveryRoute_EachRoleAllowedExactlyWhatTheRuleSays()
    {
        var authorization = app.Services.GetRequiredService<IAuthorizationService>();
        var policies = app.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        var ladder = new string?[] { null, Roles.Viewer, Roles.Editor, Roles.Admin };
        var wrong = new List<string>();
        foreach (var route in Routes().Where(r => r.Metadata.GetMetadata<IAllowAnonymous>() is null))
        {
            var policy = await AuthorizationPolicy.CombineAsync(policies, route.Metadata.GetOrderedMetadata<IAuthorizeData>(), route.Metadata.GetOrderedMetadata<AuthorizationPolicy>())
                ?? await policies.GetFallbackPolicyAsync();
            Assert.NotNull(policy);
            var least = Array.IndexOf(ladder, Expected(route));
            for (var i = 0; i < ladder.Length; i++)
            {
                var allowed = (await authorization.AuthorizeAsync(Principal(ladder[i]), route, policy)).Succeeded;
                if (allowed != (i >= least)) wrong.Add($"{string.Join(",", Methods(route))} {PathOf(route)} for {ladder[i] ?? "anonymous"}: {(allowed ? "allowed" : "refused")}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    /// <summary>
    /// API tokens of each scope, as the real bearer handler turns them into users: on API routes a read token
    /// (even an admin's) is allowed what a Viewer is and a write token what its owner's role is; anywhere
    /// else a bearer token is no sign-in at all.
    /// </summary>
    [Fact]
    public async Task EveryRoute_TokenOfEachScope_AllowedAsItsRoleOnApiRoutesOnly()
    {
        var authorization = app.Services.GetRequiredService<IAuthorizationService>();
        var policies = app.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        var ladder = new string?[] { null, Roles.Viewer, Roles.Editor, Roles.Admin };
        var wrong = new List<string>();
        foreach (var (email, scope, actsAs) in new[] { (AppFixture.AdminEmail, ApiTokenScope.Read, Roles.Viewer), (AppFixture.EditorEmail, ApiTokenScope.Write, Roles.Editor), (AppFixture.AdminEmail, ApiTokenScope.Write, Roles.Admin) })
        {
            await using var services = app.Services.CreateAsyncScope();
            var userId = (await services.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<SelfLongUser>>().FindByEmailAsync(email))!.Id;
            var (token, errors) = await app.Services.GetRequiredService<ApiTokens>().CreateAsync(userId, $"matrix-{Guid.NewGuid():N}"[..16], scope, 1, Ct);
            Assert.Empty(errors);
            foreach (var route in Routes().Where(r => r.Metadata.GetMetadata<IAllowAnonymous>() is null))
            {
                var request = new DefaultHttpContext { RequestServices = services.ServiceProvider };
                request.Request.Path = PathOf(route);
                request.Request.Headers.Authorization = $"Bearer {token!.Secret}";
                var byToken = ApiTokenAuthentication.Select(request) == ApiTokenAuthentication.SchemeName;
                var principal = byToken ? (await request.AuthenticateAsync(ApiTokenAuthentication.SchemeName)).Principal! : Principal(null);
                var policy = await AuthorizationPolicy.CombineAsync(policies, route.Metadata.GetOrderedMetadata<IAuthorizeData>(), route.Metadata.GetOrderedMetadata<AuthorizationPolicy>())
                    ?? await policies.GetFallbackPolicyAsync();
                var allowed = (await authorization.AuthorizeAsync(principal, route, policy!)).Succeeded;
                var expected = Array.IndexOf(ladder, byToken ? actsAs : null) >= Array.IndexOf(ladder, Expected(route));
                if (allowed != expected) wrong.Add($"{string.Join(",", Methods(route))} {PathOf(route)} for a {scope} token of {email}: {(allowed ? "allowed" : "refused")}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task Http_RolesAgainstRealRequests_RefusedWithStatusCodes()
    {
        using var anonymous = app.CreateClient();
        using var viewer = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);
        using var editor = await app.CreateSignedInClientAsync(AppFixture.EditorEmail);
        using var admin = await app.CreateSignedInClientAsync();
        var endpoint = new { name = $"matrix-{Guid.NewGuid():N}"[..20], kind = "OpenAiCompatible", baseUrl = "http://127.0.0.1:9/v1", model = "m" };

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/training/runs", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/training/runs", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/training/runs", new { name = "no" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await editor.PostAsJsonAsync("/api/training/runs", new { name = " " }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await editor.PostAsJsonAsync("/api/endpoints", endpoint, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/endpoints", endpoint, Ct)).StatusCode);
        // Pages: a viewer is told an admin page is not theirs (not asked to sign in again), an admin sees it.
        var refused = await viewer.GetAsync("/admin/users", Ct);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Contains("/account/denied", refused.Headers.Location!.ToString());
        var denied = await (await viewer.GetAsync(refused.Headers.Location, Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains("No access", denied);
        Assert.Contains(AppFixture.ViewerEmail, denied);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/users", Ct)).StatusCode);
        // Someone not signed in is still sent to sign in.
        Assert.Contains("/account/signin", (await anonymous.GetAsync("/admin/users", Ct)).Headers.Location!.ToString());
    }

    [Fact]
    public async Task JobDashboard_BelowAdmin_ReadOnly()
    {
        using var viewer = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);
        using var admin = await app.CreateSignedInClientAsync();

        // A dashboard command (trigger recurring jobs, none given), with the page's antiforgery token.
        var command = await DashboardCommandAsync(viewer);
        var adminCommand = await DashboardCommandAsync(admin);

        Assert.True(command.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized, command.StatusCode.ToString());
        // The admin's command is carried out: it fails only on its (empty) input.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, adminCommand.StatusCode);
    }

    private static async Task<HttpResponseMessage> DashboardCommandAsync(HttpClient client)
    {
        var page = await client.GetAsync("/jobs/recurring", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(Ct);
        string Meta(string name) => System.Text.RegularExpressions.Regex.Match(html, $"<meta name=\"{name}\" content=\"([^\"]*)\"").Groups[1].Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/jobs/recurring/trigger") { Content = new FormUrlEncodedContent([]) };
        request.Headers.Add(Meta("csrf-header"), Meta("csrf-token"));
        return await client.SendAsync(request, Ct);
    }
}
