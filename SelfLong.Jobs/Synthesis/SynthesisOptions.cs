using System.ComponentModel.DataAnnotations;

namespace SelfLong.Jobs.Synthesis;

/// <summary>How synthesis runs ride out an endpoint that stays down. Bound from <c>SelfLong:Synthesis</c>.</summary>
public sealed class SynthesisOptions
{
    public const string Section = "SelfLong:Synthesis";

    /// <summary>
    /// Attempts per sample, the first included. A sample whose model calls failed for good (the
    /// endpoint stayed down past the model-call policy) is tried again later, up to this many times.
    /// </summary>
    [Range(1, 100)]
    public int SampleAttempts { get; set; } = 3;

    /// <summary>Wait before a sample's second attempt; doubled for each further one.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SampleRetryDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The wait before attempt <paramref name="next"/> (2 or more).</summary>
    public TimeSpan DelayBefore(int next) => SampleRetryDelay * Math.Pow(2, Math.Max(0, next - 2));
}
