using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using MudBlazor.Services;
using SelfLong.Data;
using SelfLong.Data.Identity;
using SelfLong.Jobs.Accounts;
using SelfLong.Web.Components;
using SelfLong.Web.Features.Account;
using SelfLong.Web.Features.Api;
using SelfLong.Web.Features.Audit;
using SelfLong.Web.Features.Corpora;
using SelfLong.Web.Features.Health;
using SelfLong.Web.Features.Endpoints;
using SelfLong.Web.Features.Evaluation;
using SelfLong.Web.Features.Progress;
using SelfLong.Web.Features.Jobs;
using SelfLong.Web.Features.SystemChecks;
using SelfLong.Web.Features.Synthesis;
using SelfLong.Web.Features.Training;
using SelfLong.Web.Features.Overview;

namespace SelfLong.Web;

public static class WebExtensions
{
    public const string ApiPrefix = "/api";

    public static WebApplicationBuilder AddSelfLongWeb(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddOpenApi(OpenApiSecurity.Configure);
        services.AddProblemDetails();
        services.AddSelfLongApiRequests();
        services.AddSelfLongRateLimits();

        services.AddCascadingAuthenticationState();
        services.AddIdentity<SelfLongUser, IdentityRole>(AccountExtensions.ConfigureSelfLongIdentity)
            .AddPasswordValidator<CommonPasswordValidator>()
            .AddEntityFrameworkStores<SelfLongDbContext>()
            .AddDefaultTokenProviders();
        services.AddScoped<AdminAccounts>();
        services.AddScoped<UserAdministration>();
        services.AddScoped<UserInvites>();
        // A changed role or a disabled account reaches open sessions within a minute.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));
        services.ConfigureApplicationCookie(SignInCookie.Configure);
        services.AddApiTokenAuthentication();
        services.AddScoped<AuditedSignIn>();
        services.AddSingleton<SelfLong.Jobs.Accounts.ApiTokens>();
        services.AddSingleton<AuditQuery>();
        services.AddSelfLongAuditActors();

        // Everything needs a signed-in user with a role unless it says otherwise ([AllowAnonymous]);
        // every route names its policy (Policies), this covers the framework's own (static files).
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(SelfLong.Jobs.Accounts.Roles.All).Build())
            .AddSelfLongPolicies();

        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<HangfireStorageHealthCheck>("hangfire", tags: ["ready"]);

        services.AddScoped<OverviewStatistics>();
        services.AddScoped<EvaluationViews>();
        services.AddSingleton<UploadReceiver>();
        services.AddLiveProgress();
        services.AddSingleton<AdministratorSetup>();
        services.AddHostedService<FirstAdministrator>();
        return builder;
    }

    public static WebApplication UseSelfLongWeb(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }
        app.UseStatusCodePages(context =>
        {
            // API callers get bare status codes; pages get the framework's default handling.
            context.HttpContext.Response.ContentType ??= "text/plain";
            return Task.CompletedTask;
        });
        app.UseAuthentication();
        app.UseAuditActors();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseApiAntiforgery();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapSelfLongHealth();
        app.MapApiReference();
        app.MapAccountEndpoints();
        app.MapApiAntiforgery();
        app.MapAuditEndpoints();
        app.MapSystemCheckEndpoints();
        app.MapModelEndpointEndpoints();
        app.MapSynthesisEndpoints();
        app.MapTrainingEndpoints();
        app.MapExternalTrainingEndpoints();
        app.MapTrainingDataEndpoints();
        app.MapEvaluationEndpoints();
        app.MapCorporaEndpoints();
        app.MapHangfireDashboard("/jobs", new DashboardOptions
        {
            Authorization = [new SignedInDashboardAuthorization()],
            // Retry, delete and trigger buttons are an admin's; everyone else sees the queues.
            IsReadOnlyFunc = context => !context.GetHttpContext().User.IsInRole(SelfLong.Jobs.Accounts.Roles.Admin),
            DashboardTitle = "SelfLong jobs",
            AppPath = "/job-queue",
        }).RequireAuthorization(Policies.Viewer);

        // Every page needs Viewer at least; a page that needs more says so ([Authorize(Policy = ...)]).
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization(Policies.Viewer);
        return app;
    }
}
