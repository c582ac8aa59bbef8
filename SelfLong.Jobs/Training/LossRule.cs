namespace SelfLong.Jobs.Training;

/// <summary>
/// The paper's loss rule: long samples learn from every token, short ones only from the response.
/// Both switches exist so the ablation can be run.
/// </summary>
public sealed record LossRule(bool LongSamplesAllTokens = true, bool ShortSamplesResponseOnly = true)
{
    public bool TrainsOnPrompt(TrainingSample sample) => sample.IsLong ? LongSamplesAllTokens : !ShortSamplesResponseOnly;
}
