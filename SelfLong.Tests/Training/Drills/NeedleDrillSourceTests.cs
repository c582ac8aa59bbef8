using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.Training.Drills;
using SelfLong.Tests.Infrastructure;
using SelfLong.Tests.Synthesis;

namespace SelfLong.Tests.Training.Drills;

/// <summary>Needle drills as a training run loads them: their haystacks are the stored corpus's text.</summary>
[NeedsDatabase]
public sealed class NeedleDrillSourceTests(AppFixture app)
{
    [Fact]
    public async Task ChunkTexts_InDocumentAndChunkOrder_StoppingAtTheChunkThatReachesTheLimit()
    {
        var ct = TestContext.Current.CancellationToken;
        var (corpusId, _) = await app.HandMadeAsync();
        var dbFactory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.Chunks.Where(c => c.CorpusId == corpusId).OrderBy(c => c.DocumentId).ThenBy(c => c.Index).Select(c => c.Text).ToListAsync(ct);

        var all = await CorpusTextSampleSource.ChunkTextsAsync(dbFactory, corpusId, ct);
        var some = await CorpusTextSampleSource.ChunkTextsAsync(dbFactory, corpusId, ct, maxCharacters: stored[0].Length + 1);

        Assert.True(stored.Count > 2);
        Assert.Equal(stored, all);
        Assert.Equal(stored.Take(2), some);
    }

    [Fact]
    public async Task LoadAsync_HandMadeCorpus_EachHaystackIsAWindowOfTheCorpusText_WithOneNeedleAnsweredByItsKey()
    {
        var ct = TestContext.Current.CancellationToken;
        var (corpusId, _) = await app.HandMadeAsync();
        var dbFactory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        var spec = new TrainingRunSpec
        {
            NeedleDrills = [new NeedleDrillSpec(corpusId, PerLength: 12)],
            Stages = [new TrainingStage(256, 10_000, 2, 1e-3), new TrainingStage(512, 40_000, 2, 1e-3)],
        };

        var drills = await Assert.Single(NeedleDrillSampleSource.For(spec, dbFactory)).Source.LoadAsync(ct);

        // The text as stored, read independently of the source.
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var chunks = await db.Chunks.Where(c => c.CorpusId == corpusId).OrderBy(c => c.DocumentId).ThenBy(c => c.Index).Select(c => c.Text).ToListAsync(ct);
        Assert.NotEmpty(chunks);
        var corpus = EvaluationText.CollapseWhitespace(string.Join(' ', chunks));
        var (before, after) = (NiahPrompt.Frame[..NiahPrompt.Frame.IndexOf("{context}", StringComparison.Ordinal)],
            NiahPrompt.Frame[(NiahPrompt.Frame.IndexOf("{context}", StringComparison.Ordinal) + "{context}".Length)..].Replace("{question}", PassKeyNeedle.Question));
        Assert.Equal(24, drills.Count);
        var haystacks = new HashSet<string>();
        foreach (var drill in drills)
        {
            var prompt = Assert.Single(drill.Prompt).Content;
            Assert.StartsWith(before, prompt);
            Assert.EndsWith(after, prompt);
            var context = prompt[before.Length..^after.Length];
            var key = drill.Response[^5..];
            Assert.Equal(PassKeyNeedle.Response(key), drill.Response);
            var needle = PassKeyNeedle.Needle(key);
            var at = context.IndexOf(needle, StringComparison.Ordinal);
            Assert.True(at >= 0, $"no needle with key {key}");
            var haystack = string.Join(' ', new[] { context[..at].TrimEnd(), context[(at + needle.Length)..].TrimStart() }.Where(p => p.Length > 0));
            // Taken out again, the needle leaves a run of the corpus's own words.
            Assert.Contains(haystack, corpus, StringComparison.Ordinal);
            Assert.NotEmpty(haystack);
            Assert.True(ByteTokenizer.Instance.Encode(prompt).Count < 512);
            haystacks.Add(haystack);
        }
        Assert.True(haystacks.Count > 20, "haystacks are cut at random places");
        // Drawn between half a stage and all of it: the 512-token drills carry hundreds of words of corpus.
        Assert.True(haystacks.Max(h => h.Length) > 200, $"the longest haystack has {haystacks.Max(h => h.Length)} characters");
    }

    [Fact]
    public async Task LoadAsync_RulerFormat_DrillsInRulersTemplates_WithTheCorpusDocumentsAsTheEssayHaystack()
    {
        var ct = TestContext.Current.CancellationToken;
        var (corpusId, _) = await app.HandMadeAsync();
        var dbFactory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        var spec = new TrainingRunSpec
        {
            NeedleDrills = [new NeedleDrillSpec(corpusId, PerLength: 20, Format: NeedleDrillFormat.Ruler)],
            Stages = [new TrainingStage(256, 10_000, 2, 1e-3), new TrainingStage(1024, 40_000, 2, 1e-3)],
        };

        var source = Assert.Single(NeedleDrillSampleSource.For(spec, dbFactory)).Source;
        var drills = await source.LoadAsync(ct);

        Assert.Equal($"RULER drills from corpus #{corpusId}", source.Name);
        // None at 256 tokens (no template fits), 20 at 1024.
        Assert.Equal(20, drills.Count);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var firstSentence = EvaluationText.SplitSentences(await db.Documents.Where(d => d.CorpusId == corpusId).OrderBy(d => d.Id).Select(d => d.Text).FirstAsync(ct))[0];
        // Five of the ten tasks that fit read the essay haystack (the others noise, distractor needles or their own lists).
        Assert.InRange(drills.Count(d => d.Prompt.Single().Content.Contains(firstSentence, StringComparison.Ordinal)), 8, 12);
        Assert.All(drills, d => Assert.StartsWith(" ", d.Response));
    }
}
