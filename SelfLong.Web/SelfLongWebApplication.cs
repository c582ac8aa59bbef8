using SelfLong.Data;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Telemetry;

namespace SelfLong.Web;

/// <summary>The whole app, built the same way by Program.cs and by the tests.</summary>
public static class SelfLongWebApplication
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(SelfLongWebApplication).Assembly.GetName().Name,
        });
        builder.AddSelfLongSettings();
        // Serves MudBlazor's and the framework's assets from a build output in every environment,
        // so `./selflong run` needs no publish step. A no-op in a published app.
        builder.WebHost.UseStaticWebAssets();
        configure?.Invoke(builder);
        builder.AddSelfLongData();
        builder.AddSelfLongJobs();
        builder.AddSelfLongTelemetry(TelemetryExtensions.WebService);
        builder.AddSelfLongWeb();

        var app = builder.Build();
        app.UseSelfLongWeb();
        return app;
    }
}
