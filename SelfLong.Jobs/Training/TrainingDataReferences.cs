using Microsoft.EntityFrameworkCore;
using SelfLong.Data;

namespace SelfLong.Jobs.Training;

/// <summary>
/// Checks the database rows a spec names (corpora whose text it trains on or cuts needle drills
/// from, synthesis runs whose samples it mixes in), so a run that could only fail at load time is
/// refused where it is made.
/// </summary>
public sealed class TrainingDataReferences(IDbContextFactory<SelfLongDbContext> dbFactory)
{
    public async Task<IReadOnlyList<(string Field, string Message)>> ErrorsAsync(TrainingRunSpec spec, CancellationToken ct = default)
    {
        var errors = new List<(string, string)>();
        if (!spec.ReadsDatabase) return errors;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var corpora = spec.CorpusText.Select(c => ("corpusText", c.CorpusId)).Concat(spec.NeedleDrills.Select(d => ("needleDrills", d.CorpusId))).Distinct();
        foreach (var (field, id) in corpora)
        {
            if (!await db.Corpora.AnyAsync(c => c.Id == id, ct))
                errors.Add((field, $"Corpus #{id} does not exist."));
            else if (!await db.Chunks.AnyAsync(c => c.CorpusId == id, ct))
                errors.Add((field, $"Corpus #{id} has no text yet; ingest documents into it (or wait for its ingestion to finish) first."));
        }
        foreach (var id in spec.SynthesisRuns.Select(r => r.RunId).Distinct())
        {
            if (!await db.SynthesisRuns.AnyAsync(r => r.Id == id, ct))
                errors.Add(("synthesisRuns", $"Synthesis run #{id} does not exist."));
        }
        return errors;
    }

    /// <summary>Throws the first problem as a <see cref="TrainingSpecException"/>.</summary>
    public async Task ValidateAsync(TrainingRunSpec spec, CancellationToken ct = default)
    {
        var errors = await ErrorsAsync(spec, ct);
        if (errors.Count > 0) throw new TrainingSpecException(errors[0].Field, errors[0].Message);
    }
}
