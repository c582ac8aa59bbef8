using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.Training.Drills;

namespace SelfLong.Tests.Training.Drills;

public sealed class NeedleDrillsTests
{
    private static readonly string Prose = string.Join(' ', Enumerable.Range(0, 400).Select(i => $"Sentence {i} of the sea, the whale and the ship."));

    [Fact]
    public void Generate_MillionTokenStages_MakesADrillOnlyWhenItIsRead_TheSameOneEachTime()
    {
        // Ten billion tokens of drills if they were made up front.
        var tokenizer = new CountingTokenizer();
        var drills = NeedleDrills.Generate(Prose, [524_288, 1_048_576], perLength: 10_000, seed: 3, tokenizer);
        var atStart = tokenizer.Encoded;

        Assert.Equal(20_000, drills.Count);
        Assert.InRange(atStart, 1, 10); // the shortest stage a drill fits, once
        var first = drills[12_345];
        Assert.True(tokenizer.Encoded > atStart);
        Assert.Contains(PassKeyNeedle.Marker, first.Response);
        var encoded = tokenizer.Encoded;
        Assert.Same(first, drills[12_345]); // the stream looks at a sample before it takes it
        Assert.Equal(encoded, tokenizer.Encoded);
        _ = drills[7];
        var again = drills[12_345];
        Assert.NotSame(first, again);
        Assert.Equal(first.Prompt.Single(), again.Prompt.Single());
        Assert.Equal(first.Response, again.Response);
    }

    /// <summary>The byte tokenizer, counting its encodings.</summary>
    private sealed class CountingTokenizer : ITextTokenizer
    {
        public int Encoded { get; private set; }

        public string Name => ByteTokenizer.Instance.Name;
        public int VocabSize => ByteTokenizer.Instance.VocabSize;
        public ChatTokens Chat => ByteTokenizer.Instance.Chat;
        public int CountTokens(string text) => Encode(text).Count;
        public string Truncate(string text, int maxTokens) => ByteTokenizer.Instance.Truncate(text, maxTokens);
        public string Decode(IEnumerable<int> ids) => ByteTokenizer.Instance.Decode(ids);

        public IReadOnlyList<int> Encode(string text)
        {
            Encoded++;
            return ByteTokenizer.Instance.Encode(text);
        }
    }

    [Fact]
    public void Generate_EveryDrillFitsItsStage_AndPlantsItsOwnKey()
    {
        var drills = NeedleDrills.Generate(Prose, [256, 1024], perLength: 50, seed: 5, ByteTokenizer.Instance);
        Assert.Equal(100, drills.Count);
        var builder = new BatchBuilder(ByteTokenizer.Instance, new LossRule());
        foreach (var (drill, i) in drills.Select((d, i) => (d, i)))
        {
            var stage = i < 50 ? 256 : 1024;
            var encoded = builder.Encode(drill);
            // Drawn between half the stage and all of it; trimming the prose at the needle can take a few tokens off.
            Assert.InRange(encoded.Ids.Length - 1, stage / 2 - 8, stage);
            var key = drill.Response[^5..];
            Assert.Equal($"Answer: #{key}", drill.Response);
            Assert.Equal(5, key.Distinct().Count());
            var prompt = drill.Prompt.Single().Content;
            Assert.Contains($"The pass key is #{key}.", prompt);
            Assert.Equal(1, prompt.Count(c => c == '#'));
            Assert.EndsWith($"Question: {PassKeyNeedle.Question}", prompt);
            Assert.False(drill.IsLong); // only the answer is learned
        }
        Assert.True(drills.Select(d => d.Response).Distinct().Count() > 90, "keys are drawn at random");
    }

    [Fact]
    public void Generate_SubwordTokenizer_DrillsStillFillHalfTheirStageToAllOfIt()
    {
        // A BPE tokenizer takes about four characters a token: a window cut by the character would
        // hold a quarter of the tokens it was meant to.
        var tokenizer = new FourCharactersATokenTokenizer();
        var drills = NeedleDrills.Generate(Prose, [1024, 4096], perLength: 20, seed: 5, tokenizer);
        var builder = new BatchBuilder(tokenizer, new LossRule());
        foreach (var (drill, i) in drills.Select((d, i) => (d, i)))
        {
            var stage = i < 20 ? 1024 : 4096;
            Assert.InRange(builder.Encode(drill).Ids.Length - 1, stage / 2 - 8, stage);
        }
    }

    /// <summary>Every four characters one token, as a subword tokenizer compresses English prose.</summary>
    private sealed class FourCharactersATokenTokenizer : ITextTokenizer
    {
        public string Name => "four-characters";
        public int VocabSize => ByteTokenizer.Instance.VocabSize;
        public ChatTokens Chat => ByteTokenizer.Instance.Chat;
        public int CountTokens(string text) => Encode(text).Count;
        public string Truncate(string text, int maxTokens) => text[..Math.Min(text.Length, 4 * maxTokens)];
        public string Decode(IEnumerable<int> ids) => throw new NotSupportedException();
        public IReadOnlyList<int> Encode(string text) =>
            [.. Enumerable.Range(0, (text.Length + 3) / 4).Select(i => text[(4 * i)..Math.Min(text.Length, 4 * i + 4)].GetHashCode() & 0xFF)];
    }

    [Fact]
    public void Generate_SameSeed_SameDrills()
    {
        var a = NeedleDrills.Generate(Prose, [512], 20, seed: 9, ByteTokenizer.Instance);
        var b = NeedleDrills.Generate(Prose, [512], 20, seed: 9, ByteTokenizer.Instance);
        var c = NeedleDrills.Generate(Prose, [512], 20, seed: 10, ByteTokenizer.Instance);
        Assert.Equal(a.Select(d => d.Prompt[0].Content + d.Response), b.Select(d => d.Prompt[0].Content + d.Response));
        Assert.NotEqual(a.Select(d => d.Response), c.Select(d => d.Response));
    }

    [Fact]
    public void Generate_ProseWithTheMarker_OrStageTooShort_IsRefused()
    {
        Assert.Contains("marker", Assert.Throws<ArgumentException>(() => NeedleDrills.Generate(Prose + " #1", [256], 1, 1, ByteTokenizer.Instance)).Message);
        Assert.Contains("too short", Assert.Throws<ArgumentException>(() => NeedleDrills.Generate(Prose, [64], 1, 1, ByteTokenizer.Instance)).Message);
    }

    [Fact]
    public void SpecErrors_DrillsWithAStageTooShortForThem_RefusedWhenTheRunIsMade()
    {
        var shortest = NeedleDrills.ShortestLength(ByteTokenizer.Instance, "71829");
        TrainingRunSpec Spec(int firstLength) => new()
        {
            NeedleDrills = [new NeedleDrillSpec(3, 6)],
            Stages = [new TrainingStage(firstLength, 10_000, 10, 1e-3), new TrainingStage(1024, 40_000, 10, 1e-3)],
        };

        var refused = Spec(shortest - 1).Errors();
        var accepted = Spec(shortest).Errors();

        Assert.Equal($"Stage length {shortest - 1} is too short for a needle drill (at least {shortest} tokens); drop the drills or lengthen the stage.",
            Assert.Single(refused, e => e.Field == "needleDrills").Message);
        Assert.DoesNotContain(accepted, e => e.Field == "needleDrills");
        // The same bound as generation: a drill is made at exactly that length.
        Assert.NotEmpty(NeedleDrills.Generate(Prose, [shortest], 3, 1, ByteTokenizer.Instance));
    }

    [Fact]
    public void EvaluationSettings_PlantTheEvaluationKey_AndScoreItByRecall()
    {
        var settings = PassKeyNeedle.Settings([256, 1024], [0, 50, 100]);
        Assert.Contains($"#{PassKeyNeedle.EvaluationKey}", settings.Needle);
        Assert.Equal(1.0, NiahScorer.Recall($" #{PassKeyNeedle.EvaluationKey}", settings.Answer));
        Assert.Equal(0.0, NiahScorer.Recall(" #71828", settings.Answer));
    }
}
