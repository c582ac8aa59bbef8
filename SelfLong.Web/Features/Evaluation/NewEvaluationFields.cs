using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.LengthFollowing;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Evaluation.Perplexity;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Text;

namespace SelfLong.Web.Features.Evaluation;

/// <summary>
/// What the new-evaluation form holds, with each kind's defaults, and the run it creates: the
/// target (an endpoint row, an address, or a local checkpoint) and the kind's settings. The form
/// binds to it and keeps only the page's own state.
/// </summary>
public sealed class NewEvaluationFields
{
    public string Name { get; set; } = "";
    public EvaluationKind Kind { get; set; } = EvaluationKind.Niah;
    public EvaluationTargetKind TargetKind { get; set; } = EvaluationTargetKind.OpenAiCompletions;
    public long EndpointId { get; set; }
    public string Location { get; set; } = "http://localhost:8000/v1";
    public string Model { get; set; } = "";
    public string? ApiKey { get; set; }
    public string ChatTemplate { get; set; } = "llama-3";
    public string Tokenizer { get; set; } = TokenCounters.Default;
    public int MaxLength { get; set; } = 131072;
    public int? TrainingLength { get; set; }
    public string Lengths { get; set; } = "";
    public long HaystackCorpusId { get; set; }

    public string Depths { get; set; } = string.Join(", ", NiahSettings.DefaultDepths);
    public string Needle { get; set; } = NiahSettings.FuNeedle;
    public string Question { get; set; } = NiahSettings.FuQuestion;
    public string Answer { get; set; } = NiahSettings.FuAnswer;
    public NiahScoring Scoring { get; set; } = NiahScoring.Recall;
    public long JudgeEndpointId { get; set; }
    public string? JudgeUrl { get; set; }
    public string? JudgeModel { get; set; }
    public string? JudgeKey { get; set; }

    public int Samples { get; set; } = RulerTask.DefaultSamples;
    public int Seed { get; set; } = 42;
    public bool RequireAllTasks { get; set; }
    public int Windows { get; set; } = PerplexitySettings.DefaultWindows;
    public int PromptsPerLength { get; set; } = LengthFollowingSettings.DefaultPromptsPerLength;
    public double TokensPerWord { get; set; } = LengthFollowingSettings.DefaultTokensPerWord;

    public bool Local => TargetKind == EvaluationTargetKind.LocalCheckpoint;

    public string LengthsLabel => Kind switch
    {
        EvaluationKind.Niah => "Context lengths (empty: 10 evenly spaced from 1k)",
        EvaluationKind.Perplexity => "Context lengths (empty: doubling from 256 to 4 x training length)",
        EvaluationKind.LengthFollowing => "Required lengths in words (empty: 250 to 8000, doubling)",
        _ => "Lengths",
    };

    /// <summary>A training checkpoint's evaluation: its folder as a local target, sized in its tokenizer's units.</summary>
    public void Apply(EvaluationPrefill prefill)
    {
        (Name, Kind, TargetKind, Location, Model) = (prefill.Name, prefill.Kind, EvaluationTargetKind.LocalCheckpoint, prefill.Checkpoint, "local checkpoint");
        (TrainingLength, MaxLength, Lengths, Tokenizer) = (prefill.TrainingLength, prefill.MaxLength, prefill.Lengths, prefill.Tokenizer);
    }

    /// <summary>Creates and queues the run; an <see cref="ArgumentException"/> says which input is wrong.</summary>
    public async Task<EvaluationRun> CreateAsync(EvaluationService evaluations, CancellationToken ct = default)
    {
        var target = new EvaluationTargetRequest(TargetKind, Location.Trim(), Model.Trim(), ApiKey, ChatTemplate, MaxLength, TrainingLength,
            Local ? TokenCounters.Default : Tokenizer.Trim(), !Local && EndpointId > 0 ? EndpointId : null);
        long? haystack = HaystackCorpusId > 0 ? HaystackCorpusId : null;
        return Kind switch
        {
            EvaluationKind.Niah => await evaluations.CreateNiahAsync(Name, target, new NiahSettings
            {
                Lengths = Numbers(Lengths), Depths = Numbers(Depths), Needle = Needle, Question = Question, Answer = Answer, Scoring = Scoring,
                JudgeEndpointId = JudgeEndpointId > 0 ? JudgeEndpointId : null,
                JudgeBaseUrl = JudgeUrl, JudgeModel = JudgeModel, ProtectedJudgeApiKey = evaluations.ProtectApiKey(JudgeKey),
                HaystackCorpusId = haystack,
            }, ct),
            EvaluationKind.Ruler => await evaluations.CreateRulerAsync(Name, target, new RulerSettings
            {
                Lengths = Lengths.Trim().Length == 0 ? RulerTask.DefaultLengths : Numbers(Lengths), Samples = Samples, Seed = Seed,
                HaystackCorpusId = haystack, RequireAllTasks = RequireAllTasks,
            }, ct),
            EvaluationKind.LengthFollowing => await evaluations.CreateLengthFollowingAsync(Name, target, new LengthFollowingSettings
            {
                RequiredWords = Numbers(Lengths), PromptsPerLength = PromptsPerLength, TokensPerWord = TokensPerWord,
            }, ct),
            _ => await evaluations.CreatePerplexityAsync(Name, target, new PerplexitySettings
            {
                Lengths = Numbers(Lengths), Windows = Windows, HeldOutCorpusId = haystack,
            }, ct),
        };
    }

    private static IReadOnlyList<int> Numbers(string text) => NumberList.Parse(text);
}
