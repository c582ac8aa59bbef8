using Microsoft.Extensions.DependencyInjection;
using SelfLong.Jobs.Evaluation.Targets;

namespace SelfLong.Jobs.Evaluation;

public static class EvaluationExtensions
{
    public static IServiceCollection AddEvaluation(this IServiceCollection services)
    {
        // Long prompts take long on slow hardware: a generous per-request timeout, bounded retries in OpenAiTarget.
        services.AddHttpClient(nameof(OpenAiTarget), client => client.Timeout = TimeSpan.FromMinutes(15));
        return services
            .AddSingleton<ILocalCheckpointTargets, LocalCheckpointTargets>()
            // One protector for every stored API key, shared with model endpoints.
            .AddSingleton<Endpoints.EndpointSecrets>()
            .AddSingleton<EvaluationTargetFactory>()
            .AddTransient<EvaluationRunner>()
            .AddTransient<EvaluationJob>()
            .AddTransient<EvaluationService>()
            .AddTransient<RulerPredictions>();
    }
}
