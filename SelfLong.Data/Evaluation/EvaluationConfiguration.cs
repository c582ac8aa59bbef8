using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SelfLong.Data.Evaluation;

internal sealed class EvaluationRunConfiguration : IEntityTypeConfiguration<EvaluationRun>
{
    public void Configure(EntityTypeBuilder<EvaluationRun> builder)
    {
        builder.ToTable("evaluation_runs");
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.TargetKind).HasConversion<string>().HasMaxLength(32);
        builder.Property(r => r.TargetLocation).HasMaxLength(1000);
        builder.Property(r => r.Model).HasMaxLength(200);
        builder.Property(r => r.ChatTemplate).HasMaxLength(32);
        builder.Property(r => r.Tokenizer).HasMaxLength(64);
        builder.Property(r => r.SettingsJson).HasColumnType("jsonb");
        builder.Property(r => r.Message).HasMaxLength(2000);
        builder.Property(r => r.HangfireJobId).HasMaxLength(64);
        builder.Property(r => r.TraceId).HasMaxLength(32);
        builder.HasIndex(r => r.CreatedAt);
        // A run keeps its address and model when its endpoint is deleted; it only loses the link.
        builder.HasOne<Endpoints.ModelEndpoint>().WithMany().HasForeignKey(r => r.EndpointId).OnDelete(DeleteBehavior.SetNull);
        builder.HasMany(r => r.NiahCells).WithOne(c => c.Run).HasForeignKey(c => c.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(r => r.RulerSamples).WithOne(s => s.Run).HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(r => r.PerplexityLengths).WithOne(p => p.Run).HasForeignKey(p => p.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(r => r.LengthFollowingOutputs).WithOne(o => o.Run).HasForeignKey(o => o.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(r => r.LmEvalScores).WithOne(s => s.Run).HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class NiahCellConfiguration : IEntityTypeConfiguration<NiahCell>
{
    public void Configure(EntityTypeBuilder<NiahCell> builder)
    {
        builder.ToTable("niah_cells");
        builder.Property(c => c.PromptHash).HasMaxLength(64);
        // A cell is scored once per run: a rerun skips it, a double insert fails.
        builder.HasIndex(c => new { c.RunId, c.ContextLength, c.DepthPercent }).IsUnique();
    }
}

internal sealed class RulerSampleResultConfiguration : IEntityTypeConfiguration<RulerSampleResult>
{
    public void Configure(EntityTypeBuilder<RulerSampleResult> builder)
    {
        builder.ToTable("ruler_samples");
        builder.Property(s => s.Task).HasMaxLength(32);
        builder.Property(s => s.PromptHash).HasMaxLength(64);
        builder.HasIndex(s => new { s.RunId, s.Task, s.Length, s.Index }).IsUnique();
    }
}

internal sealed class PerplexityLengthResultConfiguration : IEntityTypeConfiguration<PerplexityLengthResult>
{
    public void Configure(EntityTypeBuilder<PerplexityLengthResult> builder)
    {
        builder.ToTable("perplexity_lengths");
        // A length is scored once per run: a resumed run skips it.
        builder.HasIndex(p => new { p.RunId, p.ContextLength }).IsUnique();
    }
}

internal sealed class LengthFollowingOutputConfiguration : IEntityTypeConfiguration<LengthFollowingOutput>
{
    public void Configure(EntityTypeBuilder<LengthFollowingOutput> builder)
    {
        builder.ToTable("length_following_outputs");
        // One output per required length and prompt: a resumed run skips it.
        builder.HasIndex(o => new { o.RunId, o.RequiredWords, o.PromptIndex }).IsUnique();
    }
}

internal sealed class LmEvalScoreConfiguration : IEntityTypeConfiguration<LmEvalScore>
{
    public void Configure(EntityTypeBuilder<LmEvalScore> builder)
    {
        builder.ToTable("lm_eval_scores");
        builder.Property(s => s.Task).HasMaxLength(200);
        builder.Property(s => s.Metric).HasMaxLength(200);
        builder.Property(s => s.Filter).HasMaxLength(200);
        builder.Property(s => s.SourceFile).HasMaxLength(300);
        builder.HasIndex(s => new { s.RunId, s.Task, s.Metric, s.Filter }).IsUnique();
    }
}

internal sealed class QaDatasetFileConfiguration : IEntityTypeConfiguration<QaDatasetFile>
{
    public void Configure(EntityTypeBuilder<QaDatasetFile> builder)
    {
        builder.ToTable("qa_dataset_files");
        builder.Property(f => f.Kind).HasMaxLength(16);
        builder.Property(f => f.FileName).HasMaxLength(300);
        builder.HasIndex(f => new { f.Kind, f.UploadedAt });
    }
}
