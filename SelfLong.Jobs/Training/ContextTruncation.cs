using System.Text.Json.Serialization;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training;

/// <summary>
/// Characters [Start, Start + Length) of prompt turn <paramref name="Turn"/>: the documents of a
/// long-context sample, the only text a sample too long for its stage may lose.
/// </summary>
public sealed record PromptSpan(int Turn, int Start, int Length)
{
    /// <summary>
    /// With no finer marker, the longest user turn is taken to be the documents. A cut from its
    /// middle keeps its head and its tail equally, so an instruction at either end survives while
    /// it is shorter than half of what is kept.
    /// </summary>
    public static PromptSpan? LongestUserTurn(IReadOnlyList<ChatMessage> prompt)
    {
        var turn = -1;
        for (var i = 0; i < prompt.Count; i++)
            if (prompt[i].Role == "user" && (turn < 0 || prompt[i].Content.Length > prompt[turn].Content.Length)) turn = i;
        return turn < 0 ? null : new PromptSpan(turn, 0, prompt[turn].Content.Length);
    }
}

/// <summary>
/// What fitting samples to the stage cost: samples cut and the tokens they lost, and samples
/// skipped because what may not be cut (instruction, response, chat markers) was longer than the stage.
/// </summary>
public readonly record struct TruncationCounts(
    [property: JsonPropertyName("cut_samples")] long CutSamples,
    [property: JsonPropertyName("cut_tokens")] long CutTokens,
    [property: JsonPropertyName("too_long_samples")] long TooLongSamples)
{
    public static TruncationCounts operator +(TruncationCounts a, TruncationCounts b) =>
        new(a.CutSamples + b.CutSamples, a.CutTokens + b.CutTokens, a.TooLongSamples + b.TooLongSamples);
}

/// <summary>
/// Fits an encoded sample into a stage by removing ids from the middle of its documents: the
/// documents' head and tail stay, and so does everything outside them (the instruction, the
/// response, the chat markers), so the sample still teaches what it was made to teach.
/// </summary>
public static class ContextTruncation
{
    /// <summary>
    /// The sample with at most <paramref name="maxIds"/> ids, the ids removed from the middle of
    /// [documentsStart, documentsStart + documentsCount); null when even removing all the documents
    /// leaves too many.
    /// </summary>
    public static EncodedSample? CutMiddle(EncodedSample sample, int documentsStart, int documentsCount, int maxIds)
    {
        var excess = sample.Ids.Length - maxIds;
        if (excess <= 0) return sample;
        if (excess > documentsCount) return null;
        var keptHead = (documentsCount - excess) / 2;
        var from = documentsStart + keptHead;
        return new EncodedSample([.. sample.Ids[..from], .. sample.Ids[(from + excess)..]], [.. sample.Learn[..from], .. sample.Learn[(from + excess)..]]);
    }
}
