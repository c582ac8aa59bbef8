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
        secrets.Unprotect(run.ProtectedApiKey), run.ChatTemplate, run.MaxLength);

    public IEvaluationTarget Create(EvaluationTargetKind kind, string location, string model, string? apiKey, string chatTemplate, int maxLength) =>
        kind switch
        {
            EvaluationTargetKind.LocalCheckpoint => checkpoints.FirstOrDefault()?.Open(location, maxLength)
                ?? throw new NotSupportedException("Local checkpoints cannot be evaluated in this build: no checkpoint loader is registered."),
            _ => new OpenAiTarget(http.CreateClient(nameof(OpenAiTarget)),
                new OpenAiTargetOptions(location, model, apiKey, kind == EvaluationTargetKind.OpenAiChat, chatTemplate, maxLength), tokenizer, policy),
        };
}
