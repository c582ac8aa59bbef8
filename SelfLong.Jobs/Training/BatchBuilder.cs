using SelfLong.Jobs.Models;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Training;

/// <summary>A sample as ids plus, per id, whether predicting it counts toward the loss.</summary>
public sealed record EncodedSample(int[] Ids, bool[] Learn);

/// <summary>
/// Turns samples into (B, T) batches. With packing, short samples share a row; each keeps its own
/// positions (restarting at 0) and attention runs per segment, so no sample sees another and no
/// T x T mask is ever built.
/// A chat sample longer than the stage loses text from the middle of its documents
/// (<see cref="ContextTruncation"/>); one whose other parts alone are longer than the stage, or
/// that has no documents marked (say a drill written for a longer stage), is skipped and counted.
/// Plain text is language modelling, so it is cut to its first T+1 tokens. A sample with nothing
/// to learn is skipped too, since it would cost a row and teach nothing.
/// </summary>
public sealed class BatchBuilder(ITextTokenizer tokenizer, LossRule rule)
{
    public EncodedSample Encode(TrainingSample sample)
    {
        List<ChatMessage> messages = [.. sample.Prompt, new("assistant", sample.Response)];
        if (sample.Prompt.Count == 0)
        {
            // Plain text: begin-of-text, the text, end-of-text; every token is learned.
            int[] ids = [tokenizer.Chat.BeginOfText, .. tokenizer.Encode(sample.Response), tokenizer.Chat.EndOfText];
            return new EncodedSample(ids, [.. ids.Select(_ => true)]);
        }
        var (chatIds, isResponse) = ChatFormat.Encode(tokenizer, messages);
        var all = rule.TrainsOnPrompt(sample);
        return new EncodedSample([.. chatIds], [.. isResponse.Select(r => all || r)]);
    }

    /// <summary>
    /// The sample as it enters a row of <paramref name="length"/> inputs (at most length + 1 ids,
    /// labels shift by one) and how many ids it lost; <c>Sample</c> is null when it cannot fit.
    /// </summary>
    public (EncodedSample? Sample, int CutTokens) Fit(TrainingSample sample, int length)
    {
        var encoded = Encode(sample);
        var excess = encoded.Ids.Length - (length + 1);
        if (excess <= 0) return (encoded, 0);
        if (sample.Prompt.Count == 0)
            return (new EncodedSample(encoded.Ids[..(length + 1)], encoded.Learn[..(length + 1)]), excess);
        if (sample.Documents is not { } documents) return (null, 0);

        // Encoded again with the documents apart, to know which ids are theirs (only for samples
        // that are cut, so samples that fit keep exactly the ids Encode gives).
        var (ids, isResponse, start, count) = ChatFormat.EncodeWithPiece(tokenizer,
            [.. sample.Prompt, new("assistant", sample.Response)], documents.Turn, documents.Start, documents.Length);
        var all = rule.TrainsOnPrompt(sample);
        var cut = ContextTruncation.CutMiddle(new EncodedSample([.. ids], [.. isResponse.Select(r => all || r)]), start, count, length + 1);
        return cut is null ? (null, 0) : (cut, ids.Count - cut.Ids.Length);
    }

    /// <summary>Consecutive skipped samples after which no source is taken to fit the stage.</summary>
    private const int SkipLimit = 100_000;

    /// <summary>Tensors for one micro-batch; <see cref="Batch.Segments"/> is null when no row is packed.</summary>
    public Batch Build(SampleStream stream, int batchSize, int length, bool packing, Device device)
    {
        var inputs = new long[batchSize * length];
        var labels = new long[batchSize * length];
        var positions = new long[batchSize * length];
        var segments = new int[batchSize * length];
        Array.Fill(labels, LlamaForCausalLM.IgnoreIndex);
        var packed = false;
        var learned = 0;
        var skipped = 0;
        var truncation = new TruncationCounts();
        for (var row = 0; row < batchSize; row++)
        {
            var offset = 0;
            var segment = 0;
            while (offset < length)
            {
                var (sample, cutTokens) = Fit(stream.Peek(), length);
                if (sample is null || !LearnsWithin(sample))
                {
                    stream.Next();
                    if (sample is null) truncation += new TruncationCounts(0, 0, 1);
                    if (++skipped > SkipLimit)
                        throw new InvalidOperationException($"No training sample has anything to learn within the stage's {length} tokens.");
                    continue;
                }
                skipped = 0;
                // A sample that does not fit the rest of a row starts the next row instead.
                if (offset > 0 && offset + sample.Ids.Length - 1 > length) break;
                stream.Next();
                if (cutTokens > 0) truncation += new TruncationCounts(1, cutTokens, 0);
                var take = Math.Min(sample.Ids.Length - 1, length - offset); // inputs; labels shift by one
                for (var i = 0; i < take; i++)
                {
                    var at = row * length + offset + i;
                    inputs[at] = sample.Ids[i];
                    positions[at] = i;
                    segments[at] = segment;
                    if (sample.Learn[i + 1]) { labels[at] = sample.Ids[i + 1]; learned++; }
                }
                offset += take;
                segment++;
                if (!packing) break;
            }
            for (var i = offset; i < length; i++)
            {
                // Padding: its own segment, positions continuing, no loss.
                positions[row * length + i] = i;
                segments[row * length + i] = segment;
            }
            // Trailing padding needs no split: causal attention never looks forward to it.
            if (segment > 1) packed = true;
        }

        using var scope = NewDisposeScope();
        return new Batch(
            tensor(inputs, [batchSize, length], device: device).MoveToOuterDisposeScope(),
            tensor(labels, [batchSize, length], device: device).MoveToOuterDisposeScope(),
            tensor(positions, [batchSize, length], device: device).MoveToOuterDisposeScope(),
            packed ? Segments(segments, batchSize, length) : null,
            learned)
        { Truncation = truncation };
    }

    /// <summary>Whether a fitted sample (at most length + 1 ids) has a label that counts.</summary>
    private static bool LearnsWithin(EncodedSample sample)
    {
        for (var i = 1; i < sample.Ids.Length; i++)
            if (sample.Learn[i]) return true;
        return false;
    }

    /// <summary>Each row's segment lengths, read off the per-token segment numbers.</summary>
    private static PackedSegments Segments(int[] segments, int batchSize, int length)
    {
        var rows = new List<int[]>(batchSize);
        for (var row = 0; row < batchSize; row++)
        {
            var lengths = new List<int>();
            var start = 0;
            for (var i = 1; i <= length; i++)
            {
                if (i < length && segments[row * length + i] == segments[row * length + start]) continue;
                lengths.Add(i - start);
                start = i;
            }
            rows.Add([.. lengths]);
        }
        return new PackedSegments(rows);
    }
}

public sealed record Batch(Tensor InputIds, Tensor Labels, Tensor PositionIds, PackedSegments? Segments, int LearnedTokens) : IDisposable
{
    /// <summary>Samples cut or skipped to fit the stage while this batch was built.</summary>
    public TruncationCounts Truncation { get; init; }

    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
        PositionIds.Dispose();
    }
}
