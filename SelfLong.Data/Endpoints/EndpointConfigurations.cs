using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SelfLong.Data.Endpoints;

internal sealed class ModelEndpointConfiguration : IEntityTypeConfiguration<ModelEndpoint>
{
    public void Configure(EntityTypeBuilder<ModelEndpoint> builder)
    {
        builder.ToTable("model_endpoints");
        builder.HasIndex(e => e.Name).IsUnique();
        builder.Property(e => e.Name).HasMaxLength(100);
        builder.Property(e => e.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(e => e.BaseUrl).HasMaxLength(500);
        builder.Property(e => e.Model).HasMaxLength(200);
        builder.Property(e => e.ProtectedApiKey).HasMaxLength(4000);
        builder.Property(e => e.CheckpointPath).HasMaxLength(1000);
        builder.Property(e => e.Device).HasMaxLength(16);
    }
}

internal sealed class LlmCallConfiguration : IEntityTypeConfiguration<LlmCall>
{
    public void Configure(EntityTypeBuilder<LlmCall> builder)
    {
        builder.ToTable("llm_calls");
        builder.HasIndex(c => c.Hash).IsUnique();
        builder.Property(c => c.Hash).HasMaxLength(64);
        builder.Property(c => c.Model).HasMaxLength(200);
        builder.HasOne<ModelEndpoint>().WithMany().HasForeignKey(c => c.EndpointId).OnDelete(DeleteBehavior.SetNull);
    }
}
