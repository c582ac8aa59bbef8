using Microsoft.AspNetCore.Authentication.Cookies;

namespace SelfLong.Web.Features.Account;

public static class SignInCookie
{
    public const string SignInPath = "/account/signin";
    public const string AccessDeniedPath = "/account/denied";
    public const string CookieName = "selflong.auth";

    /// <summary>Pages redirect to the sign-in page; API calls get a bare 401 or 403.</summary>
    public static void Configure(CookieAuthenticationOptions options)
    {
        options.Cookie.Name = CookieName;
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Lax;
        options.LoginPath = SignInPath;
        options.LogoutPath = "/account/signout";
        // A signed-in user whose role does not reach a page is told so, not asked to sign in again.
        options.AccessDeniedPath = AccessDeniedPath;
        options.SlidingExpiration = true;
        options.ExpireTimeSpan = TimeSpan.FromHours(12);
        options.Events.OnRedirectToLogin = context => Answer(context, StatusCodes.Status401Unauthorized);
        options.Events.OnRedirectToAccessDenied = context => Answer(context, StatusCodes.Status403Forbidden);
    }

    private static Task Answer(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int apiStatus)
    {
        if (context.Request.Path.StartsWithSegments(WebExtensions.ApiPrefix))
        {
            context.Response.StatusCode = apiStatus;
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
