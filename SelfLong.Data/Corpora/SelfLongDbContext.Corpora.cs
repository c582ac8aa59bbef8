using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Corpora;

namespace SelfLong.Data;

public sealed partial class SelfLongDbContext
{
    public DbSet<Corpus> Corpora => Set<Corpus>();
    public DbSet<Document> Documents => Set<Document>();
    public DbSet<Chunk> Chunks => Set<Chunk>();
    public DbSet<IngestionRun> IngestionRuns => Set<IngestionRun>();
    public DbSet<IngestionFile> IngestionFiles => Set<IngestionFile>();
    public DbSet<IngestionIssue> IngestionIssues => Set<IngestionIssue>();
    public DbSet<UploadChunk> UploadChunks => Set<UploadChunk>();
}
