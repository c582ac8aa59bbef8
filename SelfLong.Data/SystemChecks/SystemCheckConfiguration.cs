using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SelfLong.Data.SystemChecks;

internal sealed class SystemCheckConfiguration : IEntityTypeConfiguration<SystemCheck>
{
    public void Configure(EntityTypeBuilder<SystemCheck> builder)
    {
        builder.ToTable("system_checks");
        builder.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.HangfireJobId).HasMaxLength(64);
        builder.Property(c => c.ServerName).HasMaxLength(200);
        builder.Property(c => c.Device).HasMaxLength(32);
        builder.Property(c => c.Message).HasMaxLength(2000);
    }
}
