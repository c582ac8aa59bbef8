namespace SelfLong.Jobs.ModelCalls;

/// <summary>
/// How every model call (synthesis chat, embeddings, evaluation targets, judges) rides out a
/// failing server. Bound from <c>SelfLong:ModelCalls</c>; each endpoint adds its own attempt
/// timeout, and keeps a circuit of its own.
/// </summary>
public sealed class ModelCallOptions
{
    public const string Section = "SelfLong:ModelCalls";

    /// <summary>Attempts per call, the first included.</summary>
    public int Attempts { get; set; } = 12;

    /// <summary>Delay before the second attempt; doubles each time, with jitter, unless the server sends Retry-After.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest one call keeps retrying an endpoint that stays down. Past it the call fails, and
    /// so does the run that needed it; resuming the run continues where it stopped.
    /// </summary>
    public TimeSpan DownLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Time for one attempt of an evaluation target or judge: long prompts take long on slow hardware.</summary>
    public TimeSpan EvaluationAttemptTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Share of failed attempts, within <see cref="SamplingDuration"/>, that opens an endpoint's circuit.</summary>
    public double BreakFailureRatio { get; set; } = 0.8;

    /// <summary>Attempts seen within <see cref="SamplingDuration"/> before the circuit may open.</summary>
    public int BreakMinimumThroughput { get; set; } = 20;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open circuit refuses calls before one probe goes through.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    public IEnumerable<string> Validate()
    {
        if (Attempts < 1) yield return "SelfLong:ModelCalls:Attempts must be at least 1.";
        if (InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff) yield return "SelfLong:ModelCalls:InitialBackoff must be positive and at most MaxBackoff.";
        if (DownLimit <= TimeSpan.Zero) yield return "SelfLong:ModelCalls:DownLimit must be positive.";
        if (EvaluationAttemptTimeout < TimeSpan.FromSeconds(1)) yield return "SelfLong:ModelCalls:EvaluationAttemptTimeout must be at least one second.";
        if (BreakFailureRatio is <= 0 or > 1) yield return "SelfLong:ModelCalls:BreakFailureRatio must be in (0, 1].";
        if (BreakMinimumThroughput < 2) yield return "SelfLong:ModelCalls:BreakMinimumThroughput must be at least 2.";
        if (SamplingDuration < TimeSpan.FromSeconds(1) || BreakDuration < TimeSpan.FromSeconds(1))
            yield return "SelfLong:ModelCalls:SamplingDuration and BreakDuration must be at least one second.";
    }
}
