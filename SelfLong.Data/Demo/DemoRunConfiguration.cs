using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SelfLong.Data.Demo;

internal sealed class DemoRunConfiguration : IEntityTypeConfiguration<DemoRun>
{
    public void Configure(EntityTypeBuilder<DemoRun> builder)
    {
        builder.ToTable("demo_runs");
        builder.Property(d => d.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.Step).HasMaxLength(64);
        builder.Property(d => d.Message).HasMaxLength(4000);
        builder.Property(d => d.NiahRunIds).HasMaxLength(400);
        builder.Property(d => d.RulerRunIds).HasMaxLength(400);
        builder.Property(d => d.PerplexityJson).HasColumnType("jsonb");
    }
}
