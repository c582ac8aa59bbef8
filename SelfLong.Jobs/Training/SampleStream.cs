namespace SelfLong.Jobs.Training;

/// <summary>
/// An endless, seeded sequence of samples mixed from weighted sources: each draw picks a source by
/// weight, then that source's next sample in a per-epoch shuffled order. Its whole state is a few
/// counters, saved in checkpoints so a resumed run sees the same samples.
/// </summary>
public sealed class SampleStream
{
    private readonly IReadOnlyList<IReadOnlyList<TrainingSample>> sources;
    private readonly double[] cumulative;
    private readonly int seed;
    private readonly Dictionary<(int Source, int Epoch), int[]> orders = [];

    public SampleStream(IReadOnlyList<(IReadOnlyList<TrainingSample> Samples, double Weight)> weighted, int seed, SampleStreamState? state = null)
    {
        if (weighted.Count == 0 || weighted.Any(w => w.Samples.Count == 0))
            throw new ArgumentException("Every training source needs at least one sample.");
        if (weighted.Any(w => w.Weight <= 0)) throw new ArgumentException("Source weights must be positive.");
        sources = [.. weighted.Select(w => w.Samples)];
        var total = weighted.Sum(w => w.Weight);
        var running = 0.0;
        cumulative = [.. weighted.Select(w => running += w.Weight / total)];
        this.seed = seed;
        State = state ?? new SampleStreamState(0, new long[sources.Count]);
    }

    public SampleStreamState State { get; private set; }

    /// <summary>The sample <see cref="Next"/> will return, without taking it.</summary>
    public TrainingSample Peek() => At(out _);

    public TrainingSample Next()
    {
        var sample = At(out var source);
        var next = (long[])State.Taken.Clone();
        next[source]++;
        State = new SampleStreamState(State.Draws + 1, next);
        return sample;
    }

    private TrainingSample At(out int source)
    {
        var draw = new Random(StableSeed.Of(seed, State.Draws)).NextDouble();
        source = Array.FindIndex(cumulative, c => draw < c);
        if (source < 0) source = cumulative.Length - 1;
        var taken = State.Taken[source];
        var count = sources[source].Count;
        var order = Order(source, (int)(taken / count));
        return sources[source][order[taken % count]];
    }

    private int[] Order(int source, int epoch)
    {
        if (!orders.TryGetValue((source, epoch), out var order))
        {
            order = [.. Enumerable.Range(0, sources[source].Count)];
            new Random(StableSeed.Of(seed, source, epoch)).Shuffle(order);
            orders[(source, epoch)] = order;
        }
        return order;
    }
}

/// <summary>Draws so far and samples taken per source.</summary>
public sealed record SampleStreamState(long Draws, long[] Taken);
