using Hangfire.Dashboard;

namespace SelfLong.Web.Features.Account;

/// <summary>The Hangfire dashboard shows and changes jobs: signed-in users only.</summary>
public sealed class SignedInDashboardAuthorization : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) =>
        context.GetHttpContext().User.Identity?.IsAuthenticated == true;
}
