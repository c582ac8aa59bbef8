using Scalar.AspNetCore;
using SelfLong.Web.Features.Account;

namespace SelfLong.Web.Features.Api;

/// <summary>
/// The interactive API page (Scalar) over the app's own OpenAPI document, for signed-in users. It is a
/// page, not an API route, so a signed-out browser is sent to sign in. Its script is served from the
/// package (no CDN), and everything that would call out of the machine is off: web fonts, telemetry,
/// the AI chat, the MCP link and the developer toolbar (share, SDK generation: hosted services), so
/// the page works offline and sends the document to no one.
/// </summary>
public static class ApiReference
{
    public const string Path = "/api-reference";

    /// <summary>Where <c>MapOpenApi</c> serves each document.</summary>
    public const string DocumentPattern = "/api/openapi/{documentName}.json";

    /// <summary>The page's configuration module (wwwroot): adds the antiforgery header to its requests that change data.</summary>
    public const string ConfigurationScript = "/api-reference.js";

    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi(DocumentPattern).RequireAuthorization(Policies.Viewer);
        app.MapScalarApiReference(Path, options => options
                .WithTitle("SelfLong API")
                .WithOpenApiRoutePattern(DocumentPattern)
                // Same-origin requests carry the sign-in cookie; a pasted API token goes in as a bearer token.
                .AddPreferredSecuritySchemes(OpenApiSecurity.Bearer)
                // Its requests that change data send the antiforgery header a cookie-signed-in request needs.
                .WithJavaScriptConfiguration(ConfigurationScript)
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .HideDeveloperTools())
            .RequireAuthorization(Policies.Viewer);
        return app;
    }
}
