using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace SelfLong.Jobs.Hosting;

public static class SharedSettings
{
    /// <summary>
    /// Puts the repository's appsettings.json (copied beside every executable) underneath every
    /// other source, so environment variables and the command line still override it.
    /// </summary>
    public static IHostApplicationBuilder AddSelfLongSettings(this IHostApplicationBuilder builder)
    {
        var shared = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (File.Exists(shared) && builder.Configuration is IConfigurationBuilder configuration)
        {
            var source = new JsonConfigurationSource
            {
                Path = "appsettings.json",
                FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
                Optional = true,
                ReloadOnChange = false,
            };
            configuration.Sources.Insert(0, source);
        }
        return builder;
    }
}
