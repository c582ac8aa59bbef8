using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SelfLong.Data.Audit;

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("audit_log");
        builder.HasIndex(e => e.At);
        builder.Property(e => e.Actor).HasMaxLength(256);
        builder.Property(e => e.Via).HasMaxLength(16);
        builder.Property(e => e.Action).HasMaxLength(32);
        builder.Property(e => e.TargetKind).HasMaxLength(64);
        builder.Property(e => e.TargetId).HasMaxLength(64);
        builder.Property(e => e.Detail).HasMaxLength(2000);
    }
}
