using SelfLong.Jobs.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Endpoints.Local;

namespace SelfLong.Jobs.Synthesis;

public static class SynthesisExtensions
{
    /// <summary>Model endpoints, the cached LLM client and the synthesis pipeline.</summary>
    public static IServiceCollection AddSynthesis(this IServiceCollection services)
    {
        services.AddOptions<List<ConfiguredEndpoint>>().BindConfiguration(ConfiguredEndpoint.Section);
        services.AddValidatedOptions<SynthesisOptions>(SynthesisOptions.Section);
        services.TryAddSingleton<EndpointSecrets>();
        services.AddSingleton<EndpointConcurrencyLimiter>();
        services.TryAddSingleton<LocalCheckpointPool>();
        services.AddSingleton<ChatClientFactory>();
        services.AddSingleton<LlmCallCache>();
        services.AddSingleton<LlmClient>();
        services.AddSingleton<CompletionsClient>();
        services.AddValidatedOptions<OutboundOptions>(OutboundOptions.Section);
        services.AddSingleton<OutboundAddresses>();
        services.AddSingleton<OutboundConnections>();
        services.AddHttpClient(nameof(CompletionsClient), client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(s => OutboundConnections.CreateHandler(s.GetRequiredService<OutboundAddresses>()));
        services.AddTransient<ModelEndpointService>();

        services.AddTransient<InstructionGenerator>();
        services.AddTransient<RelevantDocumentRetriever>();
        services.AddTransient<ResponseGenerator>();
        services.AddTransient<SampleSynthesizer>();
        services.AddTransient<SynthesisModelFactory>();
        services.AddTransient<SynthesisExecutor>();
        services.AddTransient<SynthesisSampleJob>();
        services.AddTransient<SynthesisRunService>();
        services.AddTransient<SynthesisSampleReader>();
        services.AddTransient<SynthesisExporter>();
        services.AddTransient<SynthesisSampleQuery>();
        services.TryAddTransient<ISampleJobQueue, HangfireSampleJobQueue>();
        // The corpora feature registers the real names; this keeps pickers empty until then.
        services.TryAddSingleton<ICorpusNames, NoCorpusNames>();
        return services;
    }
}
