using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training.Drills;

/// <summary>Needle drills for every stage length of a run, their haystacks cut from a corpus's text.</summary>
public sealed class NeedleDrillSampleSource(IDbContextFactory<SelfLongDbContext> dbFactory, NeedleDrillSpec drills, TrainingRunSpec run) : ITrainingSampleSource
{
    /// <summary>One weighted source per drill corpus of the spec.</summary>
    public static IEnumerable<WeightedSource> For(TrainingRunSpec spec, IDbContextFactory<SelfLongDbContext> dbFactory) =>
        spec.NeedleDrills.Select(d => new WeightedSource(new NeedleDrillSampleSource(dbFactory, d, spec), d.Weight));

    public string Name => drills.Format == NeedleDrillFormat.Ruler ? $"RULER drills from corpus #{drills.CorpusId}" : $"needle drills from corpus #{drills.CorpusId}";

    public async Task<IReadOnlyList<TrainingSample>> LoadAsync(CancellationToken ct)
    {
        if (drills.Format == NeedleDrillFormat.Ruler) return await LoadRulerAsync(ct);
        // As much prose as a haystack reads, several times the longest window: a million chunks of
        // 256 tokens is over a billion characters, more than one string holds.
        var texts = await CorpusTextSampleSource.ChunkTextsAsync(dbFactory, drills.CorpusId, ct, Corpora.CorpusHaystackSource.MaxCharacters);
        if (texts.Count == 0) throw new ArgumentException($"Corpus #{drills.CorpusId} has no text for needle drills.");
        // Drills are measured in the tokenizer the trainer will encode them with.
        return NeedleDrills.Generate(string.Join(' ', texts), [.. run.Stages.Select(s => s.MaxLength)], drills.PerLength, run.Options.Seed, run.Tokenizer());
    }

    /// <summary>RULER's tasks with the corpus's documents as the essay haystack, as an evaluation on that corpus reads them.</summary>
    private async Task<IReadOnlyList<TrainingSample>> LoadRulerAsync(CancellationToken ct)
    {
        var (name, sentences) = await new Corpora.CorpusHaystackSource(dbFactory).LoadAsync(drills.CorpusId, ct);
        if (sentences.Count == 0) throw new ArgumentException($"Corpus #{drills.CorpusId} has no text for RULER drills.");
        var tokenizer = run.Tokenizer();
        var generator = new Evaluation.Ruler.RulerGenerator(Evaluation.Ruler.RulerResources.Create(tokenizer, sentences, name));
        return await Task.Run(() => RulerDrills.Generate(generator, [.. run.Stages.Select(s => s.MaxLength)], drills.PerLength, run.Options.Seed, tokenizer), ct);
    }
}
