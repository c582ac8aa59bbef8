using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Jobs.Synthesis;
using SelfLong.Jobs.Training.Drills;

namespace SelfLong.Jobs.Training;

/// <summary>The sources a spec reads from the database, mixed in the same way by the training job and `./selflong train`.</summary>
public static class DatabaseSampleSources
{
    public static IReadOnlyList<WeightedSource> For(TrainingRunSpec spec, SynthesisSampleReader reader, IDbContextFactory<SelfLongDbContext> dbFactory) =>
        [.. SynthesisRunSampleSource.For(spec, reader), .. CorpusTextSampleSource.For(spec, dbFactory), .. NeedleDrillSampleSource.For(spec, dbFactory)];
}
