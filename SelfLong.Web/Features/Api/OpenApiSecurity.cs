using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using SelfLong.Web.Features.Account;

namespace SelfLong.Web.Features.Api;

/// <summary>
/// The OpenAPI document declares both ways to authenticate: a personal API token as a bearer token, or
/// the sign-in cookie of a browser session (with the antiforgery header on requests that change data).
/// Either one is enough, so each is its own security requirement.
/// </summary>
public static class OpenApiSecurity
{
    public const string Bearer = "Bearer";
    public const string Cookie = "Cookie";

    public static void Configure(OpenApiOptions options) => options.AddDocumentTransformer((document, _, _) =>
    {
        document.Info ??= new OpenApiInfo();
        document.Info.Title = "SelfLong API";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A personal API token (the Account page, or `./selflong token create`): `Authorization: Bearer slt_...`. "
                + "A read token acts as a Viewer; a write token with its owner's role. No antiforgery header is needed.",
        };
        document.Components.SecuritySchemes[Cookie] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Cookie,
            Name = SignInCookie.CookieName,
            Description = $"The sign-in cookie of a browser session (sign in at {SignInCookie.SignInPath}). Requests that change data "
                + $"must also send the antiforgery token from GET {ApiAntiforgery.TokenPath} in the header it names.",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] });
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Cookie, document)] = [] });
        return Task.CompletedTask;
    });
}
