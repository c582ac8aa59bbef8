using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace SelfLong.Web.Features.Account;

/// <summary>
/// A browser sends the sign-in cookie with any request, also one another site makes it send; so
/// an API request that changes something on the strength of the cookie must carry the antiforgery
/// token in a header (GET /api/auth/antiforgery gives one). A bearer token is never sent by a
/// browser on its own, so token requests need none. The API's minimal endpoints do not check this
/// themselves (they bind JSON or multipart bodies, not forms), hence one check for all of them.
/// </summary>
public static class ApiAntiforgery
{
    public const string TokenPath = "/api/auth/antiforgery";

    public sealed record TokenResponse(string HeaderName, string Token);

    public static IApplicationBuilder UseApiAntiforgery(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (NeedsToken(context) && !await IsValidAsync(context))
        {
            await TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Missing or invalid antiforgery token.",
                detail: $"A signed-in browser request that changes data must send the token from GET {TokenPath} in the "
                    + $"'{HeaderName(context)}' header; scripts can use an API token (Authorization: Bearer) instead.").ExecuteAsync(context);
            return;
        }
        await next(context);
    });

    public static IEndpointRouteBuilder MapApiAntiforgery(this IEndpointRouteBuilder app)
    {
        app.MapGet(TokenPath, GetToken).RequireAuthorization(Policies.Viewer);
        return app;
    }

    private static TokenResponse GetToken(HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return new TokenResponse(tokens.HeaderName ?? HeaderName(context), tokens.RequestToken ?? "");
    }

    private static bool NeedsToken(HttpContext context) =>
        context.Request.Path.StartsWithSegments(WebExtensions.ApiPrefix)
        && !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method) || HttpMethods.IsTrace(context.Request.Method))
        && context.User.Identity?.IsAuthenticated == true
        && context.User.Identity.AuthenticationType != ApiTokenAuthentication.SchemeName
        // Signing in again while signed in: nothing to protect, and no token exists for the new user yet.
        && context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null;

    private static async Task<bool> IsValidAsync(HttpContext context)
    {
        // The header only: a multipart upload is never read as a form here to look for a field.
        if (!context.Request.Headers.ContainsKey(HeaderName(context))) return false;
        return await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context);
    }

    private static string HeaderName(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.HeaderName ?? "RequestVerificationToken";
}
