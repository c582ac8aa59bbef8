namespace SelfLong.Jobs.Endpoints;

/// <summary>Retries of failed model calls. Bound from <c>SelfLong:Llm</c>.</summary>
public sealed class LlmRetryOptions
{
    public const string Section = "SelfLong:Llm";

    /// <summary>Attempts per call, the first included.</summary>
    public int Attempts { get; set; } = 5;

    /// <summary>Delay before the second attempt; doubles each time, with jitter.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);
}
