using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SelfLong.Data.Endpoints;

namespace SelfLong.Data.Synthesis;

internal sealed class SynthesisRunConfiguration : IEntityTypeConfiguration<SynthesisRun>
{
    public void Configure(EntityTypeBuilder<SynthesisRun> builder)
    {
        builder.ToTable("synthesis_runs");
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.GeneratorLabel).HasMaxLength(300);
        builder.Property(r => r.Tokenizer).HasMaxLength(100);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16).IsConcurrencyToken();
        builder.Property(r => r.TraceId).HasMaxLength(32);
        builder.Property(r => r.WorkedHere).HasMaxLength(200);
        builder.Property(r => r.SettingsJson).HasColumnType("jsonb");
        builder.Property(r => r.TemplatesJson).HasColumnType("jsonb");
        builder.Property(r => r.Error).HasMaxLength(4000);
        builder.HasIndex(r => r.CorpusId);
        builder.HasOne<ModelEndpoint>().WithMany().HasForeignKey(r => r.EndpointId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class SampleConfiguration : IEntityTypeConfiguration<Sample>
{
    public void Configure(EntityTypeBuilder<Sample> builder)
    {
        builder.ToTable("synthesis_samples");
        builder.HasIndex(s => new { s.RunId, s.Index }).IsUnique();
        builder.Property(s => s.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.InstructionType).HasMaxLength(64);
        builder.Property(s => s.Error).HasMaxLength(4000);
        builder.Property(s => s.RetrievedJson).HasColumnType("jsonb");
        builder.Property(s => s.SummaryTreeJson).HasColumnType("jsonb");
        builder.HasOne<SynthesisRun>().WithMany().HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
