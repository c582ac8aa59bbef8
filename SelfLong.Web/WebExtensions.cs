using Hangfire;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using MudBlazor.Services;
using SelfLong.Data;
using SelfLong.Data.Identity;
using SelfLong.Jobs.Accounts;
using SelfLong.Web.Components;
using SelfLong.Web.Features.Account;
using SelfLong.Web.Features.Api;
using SelfLong.Web.Features.Corpora;
using SelfLong.Web.Features.Health;
using SelfLong.Web.Features.Endpoints;
using SelfLong.Web.Features.Jobs;
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
        services.AddOpenApi();
        services.AddProblemDetails();
        services.AddSelfLongApiRequests();
        services.AddSelfLongRateLimits();

        services.AddCascadingAuthenticationState();
        services.AddIdentity<SelfLongUser, IdentityRole>(AccountExtensions.ConfigureSelfLongIdentity)
            .AddPasswordValidator<CommonPasswordValidator>()
            .AddEntityFrameworkStores<SelfLongDbContext>()
            .AddDefaultTokenProviders();
        services.AddScoped<AdminAccounts>();
        services.ConfigureApplicationCookie(SignInCookie.Configure);

        // Everything needs a signed-in user unless it says otherwise ([AllowAnonymous]).
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<HangfireStorageHealthCheck>("hangfire", tags: ["ready"]);

        services.AddScoped<OverviewStatistics>();
        services.AddScoped<SelfLong.Web.Features.Evaluation.EvaluationViews>();
        services.AddSingleton<UploadReceiver>();
        SelfLong.Web.Features.Progress.ProgressExtensions.AddLiveProgress(services);
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
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapSelfLongHealth();
        app.MapOpenApi("/api/openapi/{documentName}.json");
        app.MapAccountEndpoints();
        app.MapJobEndpoints();
        app.MapModelEndpointApi();
        app.MapSynthesisApi();
        app.MapTrainingApi();
        SelfLong.Web.Features.Evaluation.EvaluationEndpoints.MapEvaluationEndpoints(app);
        app.MapCorporaEndpoints();
        app.MapHangfireDashboard("/jobs", new DashboardOptions
        {
            Authorization = [new SignedInDashboardAuthorization()],
            DashboardTitle = "SelfLong jobs",
            AppPath = "/job-queue",
        }).RequireAuthorization();

        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
