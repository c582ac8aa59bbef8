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
        configure?.Invoke(builder);
        builder.Configuration["SelfLong:Jobs:RunServer"] = runServer ? "true" : "false";
        if (!runServer) builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddSelfLongData();
        builder.AddSelfLongJobs(runServer ? queues : null);
        builder.Services.AddSelfLongIdentityCore();
        return builder.Build();
    }
}
