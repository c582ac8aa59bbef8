namespace SelfLong.Jobs.Evaluation;

/// <summary>The stored names of the QA data set kinds.</summary>
public static class QaDatasetKinds
{
    public const string Squad = "squad";
    public const string HotpotQa = "hotpotqa";
}
