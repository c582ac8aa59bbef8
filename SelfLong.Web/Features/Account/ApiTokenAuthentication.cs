using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SelfLong.Data.Identity;
using SelfLong.Jobs.Accounts;

namespace SelfLong.Web.Features.Account;

/// <summary>
/// <c>Authorization: Bearer slt_...</c> on an API route: the token's owner, with the owner's
/// current role (a read-scoped token: as a Viewer). A disabled owner's tokens stop working.
/// </summary>
public sealed class ApiTokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiTokens tokens, SignInManager<SelfLongUser> signIn)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";
    public const string TokenIdClaim = "selflong:token";

    /// <summary>The scheme that picks the token or the sign-in cookie, per request.</summary>
    public const string CookieOrToken = "CookieOrToken";

    /// <summary>Bearer tokens count on API routes only; pages and the job dashboard use the cookie.</summary>
    public static string Select(HttpContext context) =>
        context.Request.Path.StartsWithSegments(WebExtensions.ApiPrefix) && IsBearer(context.Request) ? SchemeName : IdentityConstants.ApplicationScheme;

    public static bool IsBearer(HttpRequest request) =>
        AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
        && string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var token = await tokens.FindActiveAsync(header.Parameter?.Trim(), Context.RequestAborted);
        if (token is null) return AuthenticateResult.Fail("The token is unknown, revoked or expired.");
        var user = await signIn.UserManager.FindByIdAsync(token.UserId);
        if (user is null || await signIn.UserManager.IsLockedOutAsync(user)) return AuthenticateResult.Fail("The token's account is disabled.");

        var principal = await signIn.CreateUserPrincipalAsync(user);
        var identity = new ClaimsIdentity(SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaims(principal.Claims.Where(c => c.Type != ClaimTypes.Role || token.Scope == ApiTokenScope.Write)
            .Select(c => new Claim(c.Type, c.Value)));
        if (token.Scope == ApiTokenScope.Read) identity.AddClaim(new Claim(ClaimTypes.Role, Roles.Viewer));
        identity.AddClaim(new Claim(TokenIdClaim, token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}

public static class ApiTokenAuthenticationExtensions
{
    /// <summary>
    /// Bearer tokens beside Identity's cookie: a policy scheme picks one per request, so every
    /// API route takes either without naming schemes (Identity still signs in with its cookie).
    /// </summary>
    public static IServiceCollection AddApiTokenAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(o =>
            {
                o.DefaultAuthenticateScheme = ApiTokenAuthentication.CookieOrToken;
                o.DefaultChallengeScheme = ApiTokenAuthentication.CookieOrToken;
                o.DefaultForbidScheme = ApiTokenAuthentication.CookieOrToken;
            })
            .AddPolicyScheme(ApiTokenAuthentication.CookieOrToken, "Sign-in cookie or API token", o => o.ForwardDefaultSelector = ApiTokenAuthentication.Select)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthentication>(ApiTokenAuthentication.SchemeName, null);
        return services;
    }
}
