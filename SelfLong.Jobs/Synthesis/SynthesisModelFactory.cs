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
            // A local checkpoint is one more IChatClient behind LlmClient: same prompts, cache and limits,
            // and its own tokenizer. A remote model's is unknown; cl100k_base is the nearest common one.
            _ => new ChatSynthesisModel(endpoint, llm,
                endpoint.Kind == ModelEndpointKind.LocalCheckpoint ? TokenCounters.Resolve(endpoint.CheckpointPath) : tokens,
                PromptTemplates.FromJson(run.TemplatesJson),
                settings, stats, SampleSynthesizer.RandomFor(run.Seed, index).NextInt64()),
        };

    /// <summary>
    /// The generator as runs and exports name it: the endpoint's SelfLong name and model. Its URL or
    /// folder only with <paramref name="withLocation"/>: they say where the server's models live,
    /// which a shared dataset should not.
    /// </summary>
    public static string LabelFor(ModelEndpoint endpoint, bool withLocation = false) => endpoint.Kind switch
    {
        ModelEndpointKind.Extractive => ExtractiveSynthesisModel.GeneratorLabel,
        ModelEndpointKind.OpenAiCompatible => $"{endpoint.Name}: {endpoint.Model}" + (withLocation ? $" at {endpoint.BaseUrl}" : ""),
        _ => $"{endpoint.Name}: local checkpoint {endpoint.Model}" + (withLocation ? $" at {endpoint.CheckpointPath}" : "")
            + $" ({endpoint.Device}, temperature {endpoint.Temperature:g})",
    };

    /// <summary>A stored label without the URL or folder that labels made before names-only carried (" at http://…", " at /…").</summary>
    public static string WithoutLocation(string label) =>
        System.Text.RegularExpressions.Regex.Replace(label, @" at (https?://|/)\S*", "");
}
