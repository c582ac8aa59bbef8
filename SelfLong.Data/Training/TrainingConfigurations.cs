using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SelfLong.Data.Training;

internal sealed class TrainingRunConfiguration : IEntityTypeConfiguration<TrainingRun>
{
    public void Configure(EntityTypeBuilder<TrainingRun> builder)
    {
        builder.ToTable("training_runs");
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.SpecJson).HasColumnType("jsonb");
        builder.Property(r => r.OutputDirectory).HasMaxLength(1000);
        builder.Property(r => r.HangfireJobId).HasMaxLength(64);
        builder.Property(r => r.TraceId).HasMaxLength(32);
        builder.Property(r => r.Device).HasMaxLength(32);
        builder.Property(r => r.Message).HasMaxLength(4000);
        builder.HasMany(r => r.Metrics).WithOne().HasForeignKey(m => m.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(r => r.Checkpoints).WithOne().HasForeignKey(c => c.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TrainingStepMetricConfiguration : IEntityTypeConfiguration<TrainingStepMetric>
{
    public void Configure(EntityTypeBuilder<TrainingStepMetric> builder)
    {
        builder.ToTable("training_step_metrics");
        builder.HasIndex(m => new { m.RunId, m.GlobalStep }).IsUnique();
    }
}

internal sealed class TrainingCheckpointConfiguration : IEntityTypeConfiguration<TrainingCheckpoint>
{
    public void Configure(EntityTypeBuilder<TrainingCheckpoint> builder)
    {
        builder.ToTable("training_checkpoints");
        builder.Property(c => c.Path).HasMaxLength(1000);
        builder.HasIndex(c => new { c.RunId, c.GlobalStep });
    }
}

internal sealed class TrainingDataFileConfiguration : IEntityTypeConfiguration<TrainingDataFile>
{
    public void Configure(EntityTypeBuilder<TrainingDataFile> builder)
    {
        builder.ToTable("training_data_files");
        builder.Property(f => f.FileName).HasMaxLength(300);
        builder.Property(f => f.StoredPath).HasMaxLength(1000);
        builder.HasIndex(f => f.StoredPath).IsUnique();
        builder.HasIndex(f => f.UploadedAt);
    }
}
