using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SelfLong.Data;
using SelfLong.Jobs.Accounts;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Jobs.Cli;

/// <summary>The services a command-line verb needs, without a Hangfire server of its own.</summary>
public static class CliHost
{
    public static IHost Build(string[]? queues = null, bool runServer = false, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddSelfLongSettings();
        // The sandbox guards the dashboard and the API from their users; a verb runs as the
        // server's own user at its shell, who reads these files anyway, so every folder is allowed
        // unless configured otherwise (/proc, /sys, /dev and non-regular files stay refused).
        if (!builder.Configuration.GetSection("SelfLong:Storage:AllowedRoots").GetChildren().Any())
            builder.Configuration["SelfLong:Storage:AllowedRoots:0"] = "/";
        configure?.Invoke(builder);
        builder.Configuration["SelfLong:Jobs:RunServer"] = runServer ? "true" : "false";
        if (!runServer) builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddSelfLongData();
        builder.AddSelfLongJobs(runServer ? queues : null);
        builder.Services.AddSelfLongIdentityCore();
        return builder.Build();
    }
}
