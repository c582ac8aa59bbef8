using SelfLong.Data;

namespace SelfLong.Web.Features.Progress;

public static class ProgressExtensions
{
    /// <summary>The listener (a hosted service, also resolvable for health and tests) and the subscriptions it feeds.</summary>
    public static IServiceCollection AddLiveProgress(this IServiceCollection services)
    {
        services.AddSingleton<ProgressSubscriptions>();
        services.AddSingleton(sp => new ProgressListener(
            sp.GetRequiredService<IConfiguration>().GetSelfLongConnectionString(),
            sp.GetRequiredService<ProgressSubscriptions>(),
            sp.GetRequiredService<ILogger<ProgressListener>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ProgressListener>());
        return services;
    }
}
