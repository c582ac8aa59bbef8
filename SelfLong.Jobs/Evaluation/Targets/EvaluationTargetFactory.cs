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

/// <summary>Builds the target a run describes, opening its protected API key.</summary>
public sealed class EvaluationTargetFactory(IHttpClientFactory http, EndpointSecrets secrets, ITokenCounter tokenizer,
    ModelCallPolicy policy, IEnumerable<ILocalCheckpointTargets> checkpoints)
{
    public string? Protect(string? apiKey) => secrets.Protect(apiKey);

    public string? Unprotect(string? protectedKey) => secrets.Unprotect(protectedKey);

    public IEvaluationTarget Create(EvaluationRun run) => Create(run.TargetKind, run.TargetLocation ?? "", run.Model ?? "",
        secrets.Unprotect(run.ProtectedApiKey), run.ChatTemplate, run.MaxLength, run.Tokenizer);

    /// <param name="tokenizerChoice">
    /// What sizes an endpoint's prompts: a name or model folder (<see cref="TokenCounters.Resolve"/>),
    /// or "server" for the server's own /tokenize route; a local checkpoint always uses its own.
    /// </param>
    public IEvaluationTarget Create(EvaluationTargetKind kind, string location, string model, string? apiKey, string chatTemplate, int maxLength,
        string? tokenizerChoice = null) =>
        kind switch
        {
            EvaluationTargetKind.LocalCheckpoint => checkpoints.FirstOrDefault()?.Open(location, maxLength)
                ?? throw new NotSupportedException("Local checkpoints cannot be evaluated in this build: no checkpoint loader is registered."),
            _ => new OpenAiTarget(http.CreateClient(nameof(OpenAiTarget)),
                new OpenAiTargetOptions(location, model, apiKey, kind == EvaluationTargetKind.OpenAiChat, chatTemplate, maxLength),
                EndpointTokenizer(tokenizerChoice, location, model, apiKey), policy),
        };

    /// <summary>A chat endpoint as Kamradt's judge: his system message before each prompt.</summary>
    public OpenAiTarget CreateJudge(string baseUrl, string model, string? apiKey) =>
        new(http.CreateClient(nameof(OpenAiTarget)),
            new OpenAiTargetOptions(baseUrl, model, apiKey, Chat: true, "none", int.MaxValue, System: Niah.NiahScorer.JudgeSystem), tokenizer, policy);

    /// <summary>Why an endpoint's tokenizer choice cannot size prompts (asking the server once when it is "server"), or null.</summary>
    public string? TokenizerProblem(string? tokenizerChoice, string location, string model, string? apiKey)
    {
        try
        {
            EndpointTokenizer(tokenizerChoice, location, model, apiKey).CountTokens("The grass is green.");
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
        : choice.Trim() == ServerTokenCounter.Choice ? new ServerTokenCounter(http.CreateClient(nameof(OpenAiTarget)), location, model, apiKey)
        : TokenCounters.Resolve(choice);
}
