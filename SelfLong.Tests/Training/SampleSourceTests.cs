using SelfLong.Jobs.Training;

namespace SelfLong.Tests.Training;

public sealed class SampleSourceTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("selflong-src-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task LoadAsync_ChatAndTextLines_ReadsPromptResponseAndLongFlag()
    {
        var path = Path.Combine(dir, "mixed.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            """{"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}], "is_long": true}""",
            """{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}""",
            """{"text": "Call me Ishmael."}""",
        ], TestContext.Current.CancellationToken);

        var samples = await new ChatJsonlSampleSource(path).LoadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(3, samples.Count);
        Assert.Equal((2, "A", true), (samples[0].Prompt.Count, samples[0].Response, samples[0].IsLong));
        Assert.Equal((1, "a", false), (samples[1].Prompt.Count, samples[1].Response, samples[1].IsLong));
        Assert.Equal((0, "Call me Ishmael.", true), (samples[2].Prompt.Count, samples[2].Response, samples[2].IsLong));
    }

    [Fact]
    public async Task LoadAsync_ChatLines_MarkTheLongestUserTurnAsDocumentsExceptForLongOutput()
    {
        var path = Path.Combine(dir, "kinds.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            """{"messages": [{"role": "system", "content": "a long system prompt"}, {"role": "user", "content": "docs. Q?"}, {"role": "assistant", "content": "A"}], "kind": "long_input"}""",
            """{"messages": [{"role": "user", "content": "Write it."}, {"role": "assistant", "content": "a long document"}], "kind": "long_output"}""",
        ], TestContext.Current.CancellationToken);

        var samples = await new ChatJsonlSampleSource(path).LoadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(new PromptSpan(1, 0, "docs. Q?".Length), samples[0].Documents);
        Assert.Null(samples[1].Documents);
    }

    [Fact]
    public async Task LoadAsync_UnknownRole_NamesFileAndLine()
    {
        var path = Path.Combine(dir, "bad.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            """{"text": "fine"}""",
            """{"messages": [{"role": "tool", "content": "x"}, {"role": "assistant", "content": "y"}]}""",
        ], TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new ChatJsonlSampleSource(path).LoadAsync(TestContext.Current.CancellationToken));
        Assert.Contains("bad.jsonl line 2", error.Message);
        Assert.Contains("tool", error.Message);
    }

    [Fact]
    public void SampleStream_WeightedSources_MixesByWeightAndReplaysFromState()
    {
        IReadOnlyList<TrainingSample> a = [.. Enumerable.Range(0, 5).Select(i => TrainingSample.PlainText($"a{i}"))];
        IReadOnlyList<TrainingSample> b = [.. Enumerable.Range(0, 7).Select(i => TrainingSample.PlainText($"b{i}"))];
        var stream = new SampleStream([(a, 3.0), (b, 1.0)], seed: 5);
        var first = Enumerable.Range(0, 400).Select(_ => stream.Next().Response).ToList();
        var shareA = first.Count(s => s[0] == 'a') / 400.0;
        Assert.InRange(shareA, 0.68, 0.82);

        var replay = new SampleStream([(a, 3.0), (b, 1.0)], seed: 5);
        for (var i = 0; i < 100; i++) replay.Next();
        var resumed = new SampleStream([(a, 3.0), (b, 1.0)], seed: 5, replay.State);
        Assert.Equal(first.Skip(100).Take(50), Enumerable.Range(0, 50).Select(_ => resumed.Next().Response));
    }
}
