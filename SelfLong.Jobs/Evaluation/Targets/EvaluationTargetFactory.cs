using SelfLong.Data.Endpoints;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation.Targets;

/// <summary>
/// Loads local checkpoints as evaluation targets. The TorchSharp model lives with training; it
/// registers an implementation of this so evaluation can run checkpoints in process.
/// </summary>
public interface ILocalCheckpointTargets
{
    IEvaluationTarget Open(string folder, int maxLength);
}

/// <summary>Builds the target a run describes: a local checkpoint, or its endpoint from the table.</summary>
public sealed class EvaluationTargetFactory(IHttpClientFactory http, EndpointSecrets secrets, ITokenCounter tokenizer,
    LlmClient llm, TargetEndpoints endpoints, IEnumerable<ILocalCheckpointTargets> checkpoints, ModelCallPolicy policy)
{
    public string? Protect(string? apiKey) => secrets.Protect(apiKey);

    public string? Unprotect(string? protectedKey) => secrets.Unprotect(protectedKey);

    /// <summary>
    /// The run's target. A run from before targets were endpoints (no row yet) gets its row now,
    /// from the address, model and key it kept.
    /// </summary>
    public async Task<IEvaluationTarget> CreateAsync(EvaluationRun run, CancellationToken ct)
    {
        if (run.TargetKind == EvaluationTargetKind.LocalCheckpoint)
            return checkpoints.FirstOrDefault()?.Open(run.TargetLocation ?? "", run.MaxLength)
                ?? throw new NotSupportedException("Local checkpoints cannot be evaluated in this build: no checkpoint loader is registered.");
        var endpoint = run.EndpointId is { } id
            ? await endpoints.FindAsync(id, ct)
            : await endpoints.EnsureAsync(run.TargetLocation ?? "", run.Model ?? "", secrets.Unprotect(run.ProtectedApiKey), run.MaxLength, ct);
        return new OpenAiTarget(llm, endpoint,
            new OpenAiTargetOptions(run.TargetKind == EvaluationTargetKind.OpenAiChat, run.ChatTemplate, run.MaxLength, CacheScope: Scope(run.Id)),
            EndpointTokenizer(run.Tokenizer, endpoint.BaseUrl!, endpoint.Model!, secrets.Unprotect(endpoint.ProtectedApiKey)));
    }

    /// <summary>A chat endpoint as Kamradt's judge: his system message before each prompt.</summary>
    public OpenAiTarget CreateJudge(ModelEndpoint endpoint, long runId) =>
        new(llm, endpoint, new OpenAiTargetOptions(Chat: true, "none", int.MaxValue, System: Niah.NiahScorer.JudgeSystem, CacheScope: Scope(runId)), tokenizer);

    /// <summary>Answers are reused within one run (a resumed run pays for no call twice), never across runs.</summary>
    private static string Scope(long runId) => $"evaluation:{runId}";

    /// <summary>Why an endpoint's tokenizer choice cannot size prompts (asking the server once when it is "server"), or null.</summary>
    public string? TokenizerProblem(string? tokenizerChoice, string location, string model, string? apiKey)
    {
        try
        {
            const string probe = "The grass is green.";
            var counter = EndpointTokenizer(tokenizerChoice, location, model, apiKey);
            if (counter is ServerTokenCounter server) server.Probe(probe);
            else counter.CountTokens(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException
            or FormatException or HttpRequestException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return e is HttpRequestException { StatusCode: null } ? $"The server's tokenizer route could not be reached: {e.Message}" : e.Message;
        }
    }

    private ITokenCounter EndpointTokenizer(string? choice, string location, string model, string? apiKey) =>
        string.IsNullOrWhiteSpace(choice) || choice.Trim() == TokenCounters.Default ? tokenizer
        : choice.Trim() == ServerTokenCounter.Choice ? new ServerTokenCounter(http.CreateClient(nameof(OpenAiTarget)), policy, location, model, apiKey)
        : TokenCounters.Resolve(choice);
}
