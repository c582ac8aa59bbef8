using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using static TorchSharp.torch;

namespace SelfLong.Tests.Training;

public sealed class ContextTruncationTests
{
    private static EncodedSample Counting(int n) => new([.. Enumerable.Range(0, n)], [.. Enumerable.Range(0, n).Select(i => i % 2 == 0)]);

    [Fact]
    public void CutMiddle_TooLong_RemovesTheMiddleOfTheDocumentsOnly()
    {
        // Documents are ids 2..7; three must go, so one stays at their head and two at their tail.
        var cut = ContextTruncation.CutMiddle(Counting(10), documentsStart: 2, documentsCount: 6, maxIds: 7);

        Assert.NotNull(cut);
        Assert.Equal([0, 1, 2, 6, 7, 8, 9], cut.Ids);
        Assert.Equal([true, false, true, true, false, true, false], cut.Learn);
    }

    [Fact]
    public void CutMiddle_Fits_ReturnsTheSampleUnchanged()
    {
        var sample = Counting(5);
        Assert.Same(sample, ContextTruncation.CutMiddle(sample, 1, 3, maxIds: 5));
    }

    [Fact]
    public void CutMiddle_DocumentsShorterThanTheExcess_ReturnsNull() =>
        Assert.Null(ContextTruncation.CutMiddle(Counting(10), 2, 2, maxIds: 7));

    [Theory]
    [InlineData("DOCS\n\nQ?", "Q?", 0, 6)]  // instruction after the documents (the default)
    [InlineData("Q?\n\nDOCS", "Q?", 2, 6)]  // instruction before them
    [InlineData("Q?", "Q?", -1, 0)]         // long output: the input is the instruction alone
    [InlineData("other text", "Q?", 0, 10)] // no instruction at either end: the whole input
    public void Documents_SynthesisInput_IsTheInputAroundTheInstruction(string input, string instruction, int start, int length)
    {
        var span = SynthesisRunSampleSource.Documents(input, instruction);
        Assert.Equal(start < 0 ? null : new PromptSpan(0, start, length), span);
    }

    [Fact]
    public void LongestUserTurn_SystemAndTwoUserTurns_PicksTheLongestUserContent() =>
        Assert.Equal(new PromptSpan(2, 0, 8), PromptSpan.LongestUserTurn(
            [new ChatMessage("system", "a long system prompt"), new ChatMessage("user", "short"), new ChatMessage("user", "longer!!"), new ChatMessage("assistant", "ok")]));
}

public sealed class BatchBuilderTruncationTests
{
    private static readonly BatchBuilder Builder = new(ByteTokenizer.Instance, new LossRule());

    /// <summary>Byte ids as text; special tokens as '|'.</summary>
    private static string Text(IEnumerable<int> ids) => new([.. ids.Select(id => id < 256 ? (char)id : '|')]);

    private static Batch BuildOne(TrainingSample sample, int length, int rows = 1, bool packing = false) =>
        Builder.Build(new SampleStream([([sample], 1.0)], seed: 1), rows, length, packing, CPU);

    [Fact]
    public void Build_LongChatSampleOverTheStage_KeepsInstructionAndResponseAndCutsTheMiddleOfTheDocuments()
    {
        using var scope = NewDisposeScope();
        const string instruction = "Which letter comes last?";
        var documents = new string('a', 100) + new string('b', 100) + new string('c', 100);
        var input = $"{documents}\n\n{instruction}";
        var sample = new TrainingSample([new ChatMessage("user", input)], "The letter c.", IsLong: true)
        {
            Documents = SynthesisRunSampleSource.Documents(input, instruction),
        };
        var whole = Builder.Encode(sample).Ids.Length;

        var (fitted, cutTokens) = Builder.Fit(sample, 128);

        Assert.NotNull(fitted);
        Assert.Equal(129, fitted.Ids.Length); // 128 inputs and the last label
        Assert.Equal(whole - 129, cutTokens);
        // The documents (with the blank line after them) keep as many ids at their head as at their tail.
        var kept = documents.Length + 2 - cutTokens;
        var (head, tail) = (kept / 2, kept - kept / 2);
        Assert.Equal($"||user|\n\n{new string('a', head)}{new string('c', tail - 2)}\n\n{instruction}||assistant|\n\nThe letter c.|", Text(fitted.Ids));

        using var batch = BuildOne(sample, 128);
        Assert.Equal(new TruncationCounts(1, whole - 129, 0), batch.Truncation);
        Assert.Equal(128, batch.LearnedTokens); // a long sample learns every token it keeps
    }

    [Fact]
    public void Build_InstructionBeforeTheDocuments_KeepsTheInstructionAtTheHead()
    {
        using var scope = NewDisposeScope();
        const string instruction = "Count the letters.";
        var input = $"{instruction}\n\n{new string('x', 300)}";
        var sample = new TrainingSample([new ChatMessage("user", input)], "Three hundred.", IsLong: true)
        {
            Documents = SynthesisRunSampleSource.Documents(input, instruction),
        };

        var (fitted, _) = Builder.Fit(sample, 96);

        Assert.NotNull(fitted);
        Assert.StartsWith($"||user|\n\n{instruction}\n\nx", Text(fitted.Ids));
        Assert.EndsWith("x||assistant|\n\nThree hundred.|", Text(fitted.Ids));
    }

    [Fact]
    public void Build_LongOutputSampleOverTheStage_CutsItsInputOnly()
    {
        using var scope = NewDisposeScope();
        var response = string.Concat(Enumerable.Repeat("response ", 8)); // 72 bytes, all learned
        var prompt = new List<ChatMessage> { new("user", new string('d', 200) + " Write it out.") };
        var sample = new TrainingSample(prompt, response, IsLong: false) { Documents = PromptSpan.LongestUserTurn(prompt) };

        using var batch = BuildOne(sample, 128);

        var labels = batch.Labels.data<long>().Where(l => l != LlamaForCausalLM.IgnoreIndex).Select(l => (int)l);
        Assert.Equal(response + "|", Text(labels)); // the whole response and its end-of-turn
        Assert.Equal(1, batch.Truncation.CutSamples);
        Assert.Equal(Builder.Encode(sample).Ids.Length - 129, batch.Truncation.CutTokens);
        Assert.Equal(0, batch.Truncation.TooLongSamples);
    }

    [Fact]
    public void Build_ResponseLongerThanTheStage_SkipsTheSampleAndCountsIt()
    {
        using var scope = NewDisposeScope();
        var prompt = new List<ChatMessage> { new("user", new string('d', 200) + " Write it out.") };
        TrainingSample tooLong = new(prompt, new string('r', 200), IsLong: false) { Documents = PromptSpan.LongestUserTurn(prompt) };
        TrainingSample fits = new([new ChatMessage("user", "Q?")], "near", IsLong: false);
        Assert.Null(Builder.Fit(tooLong, 64).Sample);

        var stream = new SampleStream([([tooLong], 1.0), ([fits], 1.0)], seed: 3);
        using var batch = Builder.Build(stream, 4, 64, packing: false, CPU);

        Assert.Equal(4 * ("near".Length + 1), batch.LearnedTokens); // only the short sample is learned
        Assert.Equal(new TruncationCounts(0, 0, stream.State.Taken[0]), batch.Truncation);
        Assert.True(stream.State.Taken[0] > 0, "the seed draws the long sample at least once in 4+ draws");
    }

    [Fact]
    public void Build_PlainTextOverTheStage_IsCutAtTheEnd()
    {
        using var scope = NewDisposeScope();
        var sample = TrainingSample.PlainText(new string('a', 64) + new string('z', 36));

        var (fitted, cutTokens) = Builder.Fit(sample, 64);
        using var batch = BuildOne(sample, 64);

        Assert.Equal("|" + new string('a', 64), Text(fitted!.Ids)); // begin-of-text and the first 64 bytes
        Assert.Equal(102 - 65, cutTokens);                          // 100 bytes and two markers, 65 kept
        Assert.Equal(new TruncationCounts(1, 37, 0), batch.Truncation);
    }

    [Fact]
    public void Build_SampleThatFits_IsNeitherCutNorCounted()
    {
        using var scope = NewDisposeScope();
        var prompt = new List<ChatMessage> { new("user", "Doc. Q?") };
        var sample = new TrainingSample(prompt, "A.", IsLong: true) { Documents = PromptSpan.LongestUserTurn(prompt) };

        var (fitted, cutTokens) = Builder.Fit(sample, 64);
        using var batch = BuildOne(sample, 64, rows: 2, packing: true);

        Assert.Equal(Builder.Encode(sample).Ids, fitted!.Ids);
        Assert.Equal(0, cutTokens);
        Assert.Equal(default, batch.Truncation);
    }
}
