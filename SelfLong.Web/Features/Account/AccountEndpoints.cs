using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using SelfLong.Data.Identity;

namespace SelfLong.Web.Features.Account;

public static class AccountEndpoints
{
    public sealed record SignInRequest(string Email, string Password);

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // For scripts and API clients: sets the same cookie as the sign-in page.
        app.MapPost("/api/auth/signin", SignInAsync).AllowAnonymous().DisableAntiforgery().RequireRateLimiting(RateLimits.SignIn);
        app.MapPost("/account/signout", SignOutAsync).RequireAuthorization(Policies.Viewer);
        app.MapGet("/api/auth/me", (HttpContext http) => TypedResults.Ok(new { email = http.User.Identity?.Name, roles = SelfLong.Jobs.Accounts.Roles.All.Where(http.User.IsInRole) }))
            .RequireAuthorization(Policies.Viewer);
        return app;
    }

    private static async Task<Results<NoContent, UnauthorizedHttpResult>> SignInAsync(
        SignInRequest request, AuditedSignIn signIn)
    {
        var result = await signIn.PasswordSignInAsync(request.Email, request.Password, SelfLong.Data.Audit.AuditActor.Api);
        return result.Succeeded ? TypedResults.NoContent() : TypedResults.Unauthorized();
    }

    private static async Task<RedirectHttpResult> SignOutAsync(SignInManager<SelfLongUser> signIn)
    {
        await signIn.SignOutAsync();
        return TypedResults.Redirect(SignInCookie.SignInPath);
    }
}
