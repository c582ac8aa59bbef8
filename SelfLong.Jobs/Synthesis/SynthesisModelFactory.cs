using SelfLong.Data.Endpoints;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Synthesis;

/// <summary>Picks the model behind the steps from the endpoint's kind.</summary>
public sealed class SynthesisModelFactory(LlmClient llm, ITokenCounter tokens)
{
    public ISynthesisModel Create(ModelEndpoint endpoint, SynthesisRun run, SynthesisSettings settings, SynthesisCallStats stats, int index) =>
        endpoint.Kind switch
        {
            ModelEndpointKind.Extractive => new ExtractiveSynthesisModel(tokens, endpoint.ContextWindow),
            ModelEndpointKind.OpenAiCompatible => new ChatSynthesisModel(endpoint, llm, PromptTemplates.FromJson(run.TemplatesJson),
                settings, stats, SampleSynthesizer.RandomFor(run.Seed, index).NextInt64()),
            _ => throw new EndpointUnavailableException(
                $"Endpoint '{endpoint.Name}' is a local checkpoint; local checkpoints are not available until a checkpoint is registered."),
        };

    public static string LabelFor(ModelEndpoint endpoint) => endpoint.Kind switch
    {
        ModelEndpointKind.Extractive => ExtractiveSynthesisModel.GeneratorLabel,
        ModelEndpointKind.OpenAiCompatible => $"{endpoint.Model} at {endpoint.BaseUrl}",
        _ => $"local checkpoint {endpoint.Name}",
    };
}
