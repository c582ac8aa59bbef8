using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using SelfLong.Data.Audit;
using SelfLong.Web.Features.Account;

namespace SelfLong.Web.Features.Audit;

/// <summary>
/// Sets <see cref="AuditActor.Current"/> for what a signed-in person does: each web request, and
/// each event of an interactive page (a circuit's events do not run inside a web request).
/// </summary>
public static class AuditActors
{
    public static IServiceCollection AddSelfLongAuditActors(this IServiceCollection services) =>
        services.AddScoped<CircuitHandler, PageActor>();

    /// <summary>After authentication: requests act for their user, through the API by cookie or token.</summary>
    public static IApplicationBuilder UseAuditActors(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        using (AuditActor.Use(For(context.User, context.Request.Path.StartsWithSegments(WebExtensions.ApiPrefix) ? AuditActor.Api : AuditActor.Page)))
            await next(context);
    });

    public static AuditActor? For(ClaimsPrincipal user, string via) =>
        user.Identity is { IsAuthenticated: true, Name: { } name }
            ? new AuditActor(name, user.Identity.AuthenticationType == ApiTokenAuthentication.SchemeName ? AuditActor.Token : via)
            : null;

    private sealed class PageActor(AuthenticationStateProvider authentication) : CircuitHandler
    {
        public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
            async context =>
            {
                var state = await authentication.GetAuthenticationStateAsync();
                using (AuditActor.Use(For(state.User, AuditActor.Page)))
                    await next(context);
            };
    }
}
