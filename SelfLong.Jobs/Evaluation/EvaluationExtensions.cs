using Microsoft.Extensions.DependencyInjection;
using SelfLong.Jobs.Evaluation.Targets;

namespace SelfLong.Jobs.Evaluation;

public static class EvaluationExtensions
{
    public static IServiceCollection AddEvaluation(this IServiceCollection services)
    {
        // ModelCallPolicy times out each attempt (SelfLong:ModelCalls:EvaluationAttemptTimeout); HttpClient's own limit stays out of its way.
        // Its connections pass the outbound address check (OutboundAddresses, registered with the synthesis services).
        services.AddHttpClient(nameof(OpenAiTarget), client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(s => Endpoints.OutboundConnections.CreateHandler(s.GetRequiredService<Endpoints.OutboundAddresses>()));
        return services
            .AddSingleton<ILocalCheckpointTargets, LocalCheckpointTargets>()
            // One protector for every stored API key, shared with model endpoints.
            .AddSingleton<Endpoints.EndpointSecrets>()
            .AddSingleton<EvaluationTargetFactory>()
            .AddSingleton<TargetEndpoints>()
            .AddTransient<EvaluationRunner>()
            .AddTransient<EvaluationJob>()
            .AddTransient<EvaluationService>()
            .AddTransient<CheckpointEvaluations>()
            .AddTransient<RulerPredictions>()
            .AddTransient<LmEval.LmEvalImport>();
    }
}
