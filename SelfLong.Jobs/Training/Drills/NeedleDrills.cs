using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training.Drills;

/// <summary>
/// Pass-key retrieval drills: prose windows from a corpus with a <see cref="PassKeyNeedle"/> planted
/// at a random depth, in the NIAH frame, answered with the key. A model learns retrieval from these
/// at each stage's length; the evaluation grid then plants its own key in different prose.
/// Drills are short samples in the paper's sense: only the answer is learned (the prose around the
/// needle is the corpus-text source's job).
/// </summary>
public static class NeedleDrills
{
    /// <param name="prose">The corpus text the haystacks are cut from.</param>
    /// <param name="lengths">Stage lengths; each gets <paramref name="perLength"/> drills between half of it and all of it.</param>
    /// <returns>Drills made as they are read (<see cref="LazySamples"/>); a stage too short for any is refused here.</returns>
    public static IReadOnlyList<TrainingSample> Generate(string prose, IReadOnlyList<int> lengths, int perLength, int seed, ITextTokenizer tokenizer)
    {
        var text = EvaluationText.CollapseWhitespace(prose);
        if (text.Contains(PassKeyNeedle.Marker))
            throw new ArgumentException($"The drill prose contains the needle's marker '{PassKeyNeedle.Marker}'; pick other text.");
        var stages = lengths.Distinct().Order().ToList();
        // Every key has five digits, so one key tells the shortest length for all.
        var shortest = ShortestLength(tokenizer, PassKeyNeedle.RandomKey(new Random(seed)));
        if (stages.Find(l => l < shortest) is > 0 and var tooShort)
            throw new ArgumentException($"Stage length {tooShort} is too short for a needle drill (at least {shortest} tokens).");
        return new LazySamples(stages.Count * perLength, index =>
        {
            var length = stages[index / perLength];
            var random = new Random(StableSeed.Of(seed, length, index % perLength));
            var key = PassKeyNeedle.RandomKey(random);
            var target = random.Next(Math.Max(shortest, length / 2), length + 1);
            // Two spaces join the needle to the prose around it.
            var budget = target - Tokens(tokenizer, Drill("", key, 0)) - 2;
            var haystack = Window(text, random.Next(text.Length), budget, tokenizer);
            return Drill(haystack, key, random.Next(0, 101));
        });
    }

    /// <summary>The shortest stage a drill with <paramref name="key"/> fits in: frame, needle, question and answer, and a little prose.</summary>
    public static int ShortestLength(ITextTokenizer tokenizer, string key) => Tokens(tokenizer, Drill("", key, 0)) + 16;

    /// <summary>Tokens the trainer sees: the chat layout around prompt and answer.</summary>
    private static int Tokens(ITextTokenizer tokenizer, TrainingSample sample) =>
        ChatFormat.Encode(tokenizer, [.. sample.Prompt, new ChatMessage("assistant", sample.Response)]).Ids.Count - 1;

    private static TrainingSample Drill(string haystack, string key, int depthPercent)
    {
        // The needle goes at a word boundary near the depth, as NIAH puts it between sentences.
        var at = haystack.Length * depthPercent / 100;
        while (at > 0 && at < haystack.Length && haystack[at - 1] != ' ') at++;
        var context = string.Join(' ', new[] { haystack[..at].TrimEnd(), PassKeyNeedle.Needle(key), haystack[at..].TrimStart() }.Where(p => p.Length > 0));
        var prompt = NiahPrompt.Frame.Replace("{context}", context).Replace("{question}", PassKeyNeedle.Question);
        return new TrainingSample([new ChatMessage("user", prompt)], PassKeyNeedle.Response(key), IsLong: false);
    }

    /// <summary>Characters read to learn how many a token of the prose takes.</summary>
    private const int ProbeCharacters = 16_384;

    /// <summary>
    /// About <paramref name="budget"/> tokens of prose from a word boundary after <paramref name="start"/>:
    /// as many characters as the tokenizer takes for that many tokens of the prose there (about four a
    /// token for a subword tokenizer, where a window cut by the character held a quarter of its
    /// tokens), trimmed until it fits.
    /// </summary>
    private static string Window(string text, int start, int budget, ITextTokenizer tokenizer)
    {
        if (budget <= 0) return "";
        var from = text.IndexOf(' ', start) is var space and >= 0 ? space + 1 : 0;
        var probe = text.Substring(from, Math.Min(ProbeCharacters, text.Length - from));
        var perToken = Math.Max(1.0, probe.Length / (double)Math.Max(1, tokenizer.Encode(probe).Count));
        var characters = (int)Math.Min(text.Length, Math.Ceiling(budget * perToken));
        if (from + characters > text.Length) from = 0;
        var window = text.Substring(from, Math.Min(characters, text.Length - from));
        // Byte-level, multi-byte characters make some windows longer in tokens than in characters:
        // half the excess is cut at a time. Subword windows are cut by the excess at their own rate,
        // so a million-token window is encoded again a few times, not a dozen.
        for (var excess = tokenizer.Encode(window).Count - budget; window.Length > 0 && excess > 0; excess = tokenizer.Encode(window).Count - budget)
            window = window[..^Math.Min(window.Length, perToken > 1 ? (int)Math.Ceiling(excess * perToken) : Math.Max(1, excess / 2))];
        return window.Trim();
    }
}
