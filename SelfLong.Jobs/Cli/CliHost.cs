using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SelfLong.Data;
using SelfLong.Jobs.Accounts;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Telemetry;

namespace SelfLong.Jobs.Cli;

/// <summary>
/// The services a command-line verb needs, without a Hangfire server unless it asks for one. Logs go
/// to standard error, warnings only unless <c>--verbose</c>: standard output carries the result alone.
/// </summary>
public static class CliHost
{
    /// <summary>Set from the root command's <c>--verbose</c>.</summary>
    public static bool Verbose { get; set; }

    /// <param name="serviceLogs">A long-running service (the worker) logs at information level, as a server does.</param>
    public static IHost Build(string[]? queues = null, bool runServer = false, Action<HostApplicationBuilder>? configure = null, bool serviceLogs = false)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddSelfLongSettings();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // As configuration, not SetMinimumLevel: appsettings.json's Logging section would override that.
        if (!Verbose && !serviceLogs) builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        // The sandbox guards the dashboard and the API from their users; a verb runs as the
        // server's own user at its shell, who reads these files anyway, so every folder is allowed
        // unless configured otherwise (/proc, /sys, /dev and non-regular files stay refused).
        if (!builder.Configuration.GetSection("SelfLong:Storage:AllowedRoots").GetChildren().Any())
            builder.Configuration["SelfLong:Storage:AllowedRoots:0"] = "/";
        configure?.Invoke(builder);
        builder.Configuration["SelfLong:Jobs:RunServer"] = runServer ? "true" : "false";
        builder.AddSelfLongData();
        builder.AddSelfLongJobs(runServer ? queues : null);
        builder.AddSelfLongTelemetry(runServer ? TelemetryExtensions.WorkerService : TelemetryExtensions.CommandService);
        builder.Services.AddSelfLongIdentityCore();
        var host = builder.Build();
        host.Services.StartSelfLongTelemetry();
        return host;
    }
}
