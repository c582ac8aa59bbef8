using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Evaluation.Perplexity;

/// <summary>Mean negative log-likelihood of the predictions in one range of positions [From, To).</summary>
public sealed record PositionBucket(int From, int To, double MeanNll)
{
    public double Perplexity => Math.Exp(MeanNll);
}

/// <summary>A checkpoint's perplexity at one context length, overall and by position bucket.</summary>
public sealed record PerplexityPoint(int Length, int Windows, double MeanNll, IReadOnlyList<PositionBucket> Buckets)
{
    public int Tokens => Windows * Length;

    public double Perplexity => Math.Exp(MeanNll);
}

/// <summary>
/// Perplexity versus context length (ARCHITECTURE.md, "perplexity versus position/length per
/// stage"): the robust signal of context extension. A model trained at length L predicts worse
/// past L; raising theta alone helps partly; training the longer stage repairs it.
/// </summary>
public static class PerplexityByLength
{
    /// <summary>
    /// Scores up to <paramref name="windows"/> consecutive, non-overlapping windows of the held-out
    /// ids. A window is begin-of-text plus <paramref name="length"/> tokens: one causal forward
    /// gives <paramref name="length"/> predictions, the last made with the whole context. Inputs
    /// past max_position_embeddings are scored on purpose: that is the extrapolation measured.
    /// </summary>
    public static PerplexityPoint Measure(LocalCheckpoint checkpoint, IReadOnlyList<int> heldOut, int length, int windows, int firstBucket,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(windows, 1);
        var fit = Math.Min(windows, heldOut.Count / length);
        if (fit == 0)
            throw new InvalidOperationException(
                $"The held-out text has {heldOut.Count} tokens; context length {length} needs at least that many. Choose a larger corpus or shorter lengths.");
        var bos = checkpoint.Tokenizer.Chat.BeginOfText;
        // sums[i]: total NLL, over windows, of predicting the token at position i + 1 from positions 0..i.
        var sums = new double[length];
        for (var w = 0; w < fit; w++)
        {
            ct.ThrowIfCancellationRequested();
            int[] window = [bos, .. heldOut.Skip(w * length).Take(length)];
            var nll = checkpoint.TokenNlls(window);
            for (var i = 0; i < length; i++) sums[i] += nll[i];
        }
        var byPosition = sums.Select(s => s / fit).ToArray();
        return new PerplexityPoint(length, fit, byPosition.Average(), Buckets(byPosition, firstBucket));
    }

    /// <summary>Mean of per-position NLLs over doubling ranges: [0, first), [first, 2 first), ... up to the end.</summary>
    public static IReadOnlyList<PositionBucket> Buckets(IReadOnlyList<double> nllByPosition, int firstEdge)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(firstEdge, 1);
        var buckets = new List<PositionBucket>();
        for (int from = 0, to = firstEdge; from < nllByPosition.Count; from = to, to *= 2)
        {
            var end = Math.Min(to, nllByPosition.Count);
            buckets.Add(new PositionBucket(from, end, nllByPosition.Skip(from).Take(end - from).Average()));
        }
        return buckets;
    }

    /// <summary>Doubling lengths from <paramref name="from"/> through <paramref name="to"/>: 256, 512, ... .</summary>
    public static IReadOnlyList<int> DoublingLengths(int from, int to)
    {
        var lengths = new List<int>();
        for (var length = Math.Max(1, from); length <= to; length *= 2) lengths.Add(length);
        return lengths;
    }
}
