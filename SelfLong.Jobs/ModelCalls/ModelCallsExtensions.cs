using SelfLong.Jobs.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SelfLong.Jobs.ModelCalls;

public static class ModelCallsExtensions
{
    /// <summary>The one resilience policy of model calls, its options checked when the host starts.</summary>
    public static IServiceCollection AddModelCalls(this IServiceCollection services)
    {
        services.AddValidatedOptions<ModelCallOptions>(ModelCallOptions.Section);
        services.AddSingleton<IValidateOptions<ModelCallOptions>, ModelCallOptionsValidator>();
        services.AddSingleton<ModelCallPolicy>();
        return services;
    }

    private sealed class ModelCallOptionsValidator : IValidateOptions<ModelCallOptions>
    {
        public ValidateOptionsResult Validate(string? name, ModelCallOptions options) =>
            options.Validate().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
