using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Evaluation;

namespace SelfLong.Data;

public sealed partial class SelfLongDbContext
{
    public DbSet<EvaluationRun> EvaluationRuns => Set<EvaluationRun>();
    public DbSet<NiahCell> NiahCells => Set<NiahCell>();
    public DbSet<RulerSampleResult> RulerSamples => Set<RulerSampleResult>();
    public DbSet<PerplexityLengthResult> PerplexityLengths => Set<PerplexityLengthResult>();
    public DbSet<LengthFollowingOutput> LengthFollowingOutputs => Set<LengthFollowingOutput>();
    public DbSet<LmEvalScore> LmEvalScores => Set<LmEvalScore>();
    public DbSet<QaDatasetFile> QaDatasetFiles => Set<QaDatasetFile>();
}
