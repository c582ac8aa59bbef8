using Hangfire;
using Hangfire.AspNetCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SelfLong.Tests.Infrastructure;

/// <summary>
/// Points Hangfire's process-wide log provider back at <paramref name="services"/>'s loggers when disposed.
/// </summary>
/// <remarks>
/// Hangfire logs through one provider per process, which the last host to resolve its parts takes
/// over. A test that builds a command-line host in the suite's process (the verb as code, not as its
/// own process) leaves the provider on that host's logger factory, and once the host is disposed
/// every Hangfire part made afterwards (a retry filter for a job method not yet seen, a recurring job
/// the suite app's server triggers) fails on it, so jobs of later tests never start. Create this
/// before such a host and dispose it after.
/// </remarks>
public sealed class HangfireLogRestore(IServiceProvider services) : IDisposable
{
    public void Dispose() => GlobalConfiguration.Configuration.UseLogProvider(
        new AspNetCoreLogProvider(services.GetRequiredService<ILoggerFactory>()));
}
