using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SelfLong.Web.Features.Api;

/// <summary>The OpenAPI document declares how to authenticate: a personal API token as a bearer token.</summary>
public static class OpenApiSecurity
{
    public const string Bearer = "Bearer";

    public static void Configure(OpenApiOptions options) => options.AddDocumentTransformer((document, _, _) =>
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A personal API token (the Account page, or `./selflong token create`). Signed-in browsers send the cookie "
                + "and, on requests that change data, the antiforgery token from GET /api/auth/antiforgery.",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] });
        return Task.CompletedTask;
    });
}
