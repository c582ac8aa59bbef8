using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SelfLong.Data.Corpora;

// Corpus tables use snake_case columns because the retriever and the COPY writer address them in SQL.

internal sealed class CorpusConfiguration : IEntityTypeConfiguration<Corpus>
{
    public void Configure(EntityTypeBuilder<Corpus> builder)
    {
        builder.ToTable("corpora");
        builder.Property(c => c.Name).HasMaxLength(200);
        builder.HasIndex(c => c.Name).IsUnique();
        builder.Property(c => c.Description).HasMaxLength(4000);
        builder.Property(c => c.EmbedderKind).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.EmbedderBaseUrl).HasMaxLength(1000);
        builder.Property(c => c.EmbedderModel).HasMaxLength(200);
        builder.Property(c => c.TextField).HasMaxLength(200);
        builder.Property(c => c.TitleField).HasMaxLength(200);
        builder.HasMany(c => c.Documents).WithOne(d => d.Corpus).HasForeignKey(d => d.CorpusId).OnDelete(DeleteBehavior.Cascade);
        SnakeCase.Apply(builder);
    }
}

internal sealed class DocumentConfiguration : IEntityTypeConfiguration<Document>
{
    public void Configure(EntityTypeBuilder<Document> builder)
    {
        builder.ToTable("documents");
        builder.Property(d => d.Title).HasMaxLength(1000);
        builder.Property(d => d.Source).HasMaxLength(2000);
        builder.HasIndex(d => new { d.CorpusId, d.ContentHash }).IsUnique();
        builder.HasOne<IngestionRun>().WithMany().HasForeignKey(d => d.IngestionRunId).OnDelete(DeleteBehavior.SetNull);
        SnakeCase.Apply(builder);
    }
}

internal sealed class ChunkConfiguration : IEntityTypeConfiguration<Chunk>
{
    public void Configure(EntityTypeBuilder<Chunk> builder)
    {
        // Partitioned by corpus (LIST on corpus_id, ChunkPartitions in SelfLong.Jobs says why), so
        // every key and unique index holds corpus_id; the migration ChunksByCorpus lays it out.
        builder.ToTable("chunks");
        builder.HasKey(c => new { c.CorpusId, c.Id });
        builder.Property(c => c.Id).UseIdentityByDefaultColumn();
        builder.HasOne(c => c.Document).WithMany().HasForeignKey(c => c.DocumentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Corpus>().WithMany().HasForeignKey(c => c.CorpusId).OnDelete(DeleteBehavior.Cascade);
        // Led by document_id: a document's delete finds its chunks by it in every partition.
        builder.HasIndex(c => new { c.DocumentId, c.Index, c.CorpusId }).IsUnique();
        // A chunk looked up by id alone, without its corpus, probes each partition's index.
        builder.HasIndex(c => c.Id);
        // Untyped: each corpus has its own dimension. The HNSW index is per corpus, on the
        // expression (embedding::vector(N)) WHERE corpus_id = id (see ChunkVectorIndex).
        // Above 2,000 dimensions vectors are stored as halfvec in their own column (VectorLayout in SelfLong.Jobs says why).
        builder.Property(c => c.Embedding).HasColumnType("vector");
        builder.Property(c => c.EmbeddingHalf).HasColumnType("halfvec");
        // Its GIN index is per corpus too, WHERE corpus_id = id (ChunkTextIndex in SelfLong.Jobs says why).
        builder.HasGeneratedTsVectorColumn(c => c.SearchVector, "english", c => new { c.Text });
        SnakeCase.Apply(builder);
    }
}

internal sealed class IngestionRunConfiguration : IEntityTypeConfiguration<IngestionRun>
{
    public void Configure(EntityTypeBuilder<IngestionRun> builder)
    {
        builder.ToTable("ingestion_runs");
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.HangfireJobId).HasMaxLength(64);
        builder.Property(r => r.TraceId).HasMaxLength(32);
        builder.Property(r => r.Message).HasMaxLength(4000);
        builder.HasOne(r => r.Corpus).WithMany().HasForeignKey(r => r.CorpusId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(r => r.FileList).WithOne(f => f.Run).HasForeignKey(f => f.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => new { r.CorpusId, r.Id });
        SnakeCase.Apply(builder);
    }
}

internal sealed class IngestionFileConfiguration : IEntityTypeConfiguration<IngestionFile>
{
    public void Configure(EntityTypeBuilder<IngestionFile> builder)
    {
        builder.ToTable("ingestion_files");
        builder.Property(f => f.FileName).HasMaxLength(1000);
        builder.Property(f => f.StoredPath).HasMaxLength(2000);
        builder.Property(f => f.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(f => f.Message).HasMaxLength(4000);
        builder.HasMany(f => f.Issues).WithOne().HasForeignKey(i => i.FileId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(f => f.UploadId);
        SnakeCase.Apply(builder);
    }
}

internal sealed class UploadChunkConfiguration : IEntityTypeConfiguration<UploadChunk>
{
    public void Configure(EntityTypeBuilder<UploadChunk> builder)
    {
        // No foreign key to ingestion_files: an upload is stored before its run is recorded.
        builder.ToTable("upload_chunks");
        builder.HasKey(c => new { c.UploadId, c.Seq });
        builder.Property(c => c.WrittenAt).HasDefaultValueSql("now()");
        SnakeCase.Apply(builder);
    }
}

internal sealed class IngestionIssueConfiguration : IEntityTypeConfiguration<IngestionIssue>
{
    public void Configure(EntityTypeBuilder<IngestionIssue> builder)
    {
        builder.ToTable("ingestion_issues");
        builder.Property(i => i.Severity).HasConversion<string>().HasMaxLength(16);
        builder.Property(i => i.Location).HasMaxLength(1000);
        builder.Property(i => i.Message).HasMaxLength(4000);
        SnakeCase.Apply(builder);
    }
}

internal static class SnakeCase
{
    public static void Apply<T>(EntityTypeBuilder<T> builder) where T : class
    {
        foreach (var property in builder.Metadata.GetDeclaredProperties())
            property.SetColumnName(Convert(property.Name));
    }

    public static string Convert(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) text.Append('_');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }
}
