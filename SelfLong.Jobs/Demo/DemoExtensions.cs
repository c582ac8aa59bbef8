using SelfLong.Jobs.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace SelfLong.Jobs.Demo;

public static class DemoExtensions
{
    public static IServiceCollection AddDemo(this IServiceCollection services)
    {
        services.AddValidatedOptions<DemoOptions>(DemoOptions.Section);
        return services.AddTransient<DemoPipeline>().AddTransient<DemoService>().AddTransient<DemoJob>();
    }
}
