using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Training;

namespace SelfLong.Data;

public sealed partial class SelfLongDbContext
{
    public DbSet<TrainingRun> TrainingRuns => Set<TrainingRun>();
    public DbSet<TrainingStepMetric> TrainingStepMetrics => Set<TrainingStepMetric>();
    public DbSet<TrainingCheckpoint> TrainingCheckpoints => Set<TrainingCheckpoint>();
    public DbSet<TrainingDataFile> TrainingDataFiles => Set<TrainingDataFile>();
}
