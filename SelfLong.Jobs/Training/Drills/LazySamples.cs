using System.Collections;

namespace SelfLong.Jobs.Training.Drills;

/// <summary>
/// Samples made when they are read, each from its index alone. A million-token stage's 10,000
/// drills would hold ten billion tokens of text if made before training, and take hours to make;
/// the sample stream reads a run's samples by index, one at a time. The last sample read is kept,
/// since the stream looks at a sample before it takes it.
/// </summary>
public sealed class LazySamples(int count, Func<int, TrainingSample> make) : IReadOnlyList<TrainingSample>
{
    private Made? last;

    /// <summary>One made sample with its index; a class, so a reader on another thread sees a whole one.</summary>
    private sealed record Made(int Index, TrainingSample Sample);

    public int Count => count;

    public TrainingSample this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
            if (last is { } known && known.Index == index) return known.Sample;
            var sample = make(index);
            last = new Made(index, sample);
            return sample;
        }
    }

    public IEnumerator<TrainingSample> GetEnumerator()
    {
        for (var i = 0; i < count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
