using Microsoft.AspNetCore.Authorization;
using SelfLong.Jobs.Accounts;

namespace SelfLong.Web.Features.Account;

/// <summary>
/// The authorization policies every endpoint and page names (the role matrix test fails one that
/// names none): Viewer reads, Editor changes runs and corpora, Admin manages users and endpoints.
/// Each role includes the ones below it.
/// </summary>
public static class Policies
{
    public const string Viewer = "Viewer";
    public const string Editor = "Editor";
    public const string Admin = "Admin";

    public static readonly string[] All = [Viewer, Editor, Admin];

    public static AuthorizationBuilder AddSelfLongPolicies(this AuthorizationBuilder authorization) => authorization
        .AddPolicy(Viewer, p => p.RequireAuthenticatedUser().RequireRole(Roles.All))
        .AddPolicy(Editor, p => p.RequireAuthenticatedUser().RequireRole(Roles.Editor, Roles.Admin))
        .AddPolicy(Admin, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin));

    /// <summary>
    /// On a group of API routes: reads (GET, HEAD) need <see cref="Viewer"/>, everything else
    /// <see cref="Editor"/>. A route that needs more adds its own policy (policies combine).
    /// </summary>
    public static TBuilder ReadsForViewersChangesForEditors<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            var methods = endpoint.Metadata.OfType<HttpMethodMetadata>().LastOrDefault()?.HttpMethods ?? [];
            var reads = methods.Count > 0 && methods.All(m => m is "GET" or "HEAD");
            endpoint.Metadata.Add(new AuthorizeAttribute(reads ? Viewer : Editor));
        });
        return builder;
    }
}
