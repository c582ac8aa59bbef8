using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Audit;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora;

/// <summary>A corpus with its counts, as lists and pages show it (no secrets).</summary>
public sealed record CorpusSummary(long Id, string Name, string Description, string Embedder, string? EmbedderModel,
    string? EmbedderBaseUrl, bool HasApiKey, int EmbeddingDimension, int ChunkTokens, int ChunkOverlapTokens, string TextField,
    string TitleField, long Documents, long Chunks, long Tokens, DateTimeOffset CreatedAt, int? HnswEfSearch = null, double? HnswRecallAt10 = null,
    int? HnswTuneQueries = null, IReadOnlyList<string>? FullTextCommonWords = null, double? FullTextCommonShare = null, bool VectorIndexHalf = false);

/// <summary>One bar of the document-length histogram: documents with lo &lt;= tokens &lt; hi.</summary>
public sealed record LengthBucket(long Lo, long Hi, long Documents);

public sealed record DocumentSummary(long Id, string Title, int TokenCount, string Source, bool HadInvalidUtf8, DateTimeOffset CreatedAt);

public sealed record Page<T>(IReadOnlyList<T> Items, long Total);

/// <summary>Creates, lists, describes and deletes corpora.</summary>
public sealed class CorpusService(IDbContextFactory<SelfLongDbContext> dbFactory, NpgsqlDataSource dataSource, CorpusEmbedders embedders,
    Ingestion.UploadStore uploadStore)
{
    public async Task<(CorpusSummary? Corpus, Dictionary<string, string[]> Errors)> CreateAsync(CorpusSettings settings, CancellationToken ct = default)
    {
        var errors = settings.Validate();
        if (errors.Count == 0 && settings.Embedder == EmbedderKind.OpenAi && await embedders.AddressProblemAsync(settings.EmbedderBaseUrl!, ct) is { } denied)
            errors[nameof(settings.EmbedderBaseUrl)] = [denied];
        if (errors.Count > 0) return (null, errors);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var name = settings.Name.Trim();
        if (await db.Corpora.AnyAsync(c => c.Name == name, ct))
            return (null, new() { [nameof(settings.Name)] = [$"A corpus named '{name}' exists; choose another name."] });

        var dimension = settings.EmbeddingDimension ?? LexicalEmbedder.DefaultDimension;
        if (settings.Embedder == EmbedderKind.OpenAi && settings.EmbeddingDimension is null)
        {
            try
            {
                dimension = await embedders.ProbeDimensionAsync(settings.EmbedderBaseUrl!, settings.EmbedderModel!, settings.EmbedderApiKey, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return (null, new() { [nameof(settings.EmbedderBaseUrl)] = [$"The embeddings endpoint did not answer a test request: {ex.Message}"] });
            }
            if (dimension > Storage.VectorLayout.MaxDimension)
                return (null, new() { [nameof(settings.EmbedderModel)] = [$"The model's vectors have {dimension} dimensions; at most {Storage.VectorLayout.MaxDimension} can be stored."] });
        }
        var corpus = new Corpus
        {
            Name = name,
            Description = settings.Description.Trim(),
            EmbedderKind = settings.Embedder,
            EmbedderBaseUrl = settings.Embedder == EmbedderKind.OpenAi ? settings.EmbedderBaseUrl!.TrimEnd('/') : null,
            EmbedderModel = settings.Embedder == EmbedderKind.OpenAi ? settings.EmbedderModel!.Trim() : LexicalEmbedder.ModelName,
            EmbedderApiKeyProtected = settings.Embedder == EmbedderKind.OpenAi && !string.IsNullOrEmpty(settings.EmbedderApiKey)
                ? embedders.Protect(settings.EmbedderApiKey) : null,
            EmbeddingDimension = dimension,
            ChunkTokens = settings.ChunkTokens,
            ChunkOverlapTokens = settings.ChunkOverlapTokens,
            TextField = settings.TextField.Trim(),
            TitleField = settings.TitleField.Trim(),
        };
        db.Corpora.Add(corpus);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return (null, new() { [nameof(settings.Name)] = [$"A corpus named '{name}' exists; choose another name."] });
        }
        return (await GetAsync(corpus.Id, ct), errors);
    }

    public async Task<Page<CorpusSummary>> ListAsync(int page, int pageSize, string? search = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Corpora.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search)) query = query.Where(c => EF.Functions.ILike(c.Name, $"%{search.Trim()}%"));
        var total = await query.LongCountAsync(ct);
        var ids = await query.OrderBy(c => c.Name).Skip(Math.Max(0, page) * pageSize).Take(Math.Clamp(pageSize, 1, 200)).Select(c => c.Id).ToListAsync(ct);
        var items = new List<CorpusSummary>();
        foreach (var id in ids) items.Add((await GetAsync(id, ct))!);
        return new Page<CorpusSummary>(items, total);
    }

    public async Task<CorpusSummary?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var c = await db.Corpora.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (c is null) return null;
        var documents = await db.Documents.Where(d => d.CorpusId == id).GroupBy(_ => 1)
            .Select(g => new { Count = g.LongCount(), Tokens = g.Sum(d => (long)d.TokenCount) }).SingleOrDefaultAsync(ct);
        var chunks = await db.Chunks.LongCountAsync(x => x.CorpusId == id, ct);
        return new CorpusSummary(c.Id, c.Name, c.Description, c.EmbedderKind.ToString(), c.EmbedderModel, c.EmbedderBaseUrl,
            c.EmbedderApiKeyProtected is not null, c.EmbeddingDimension, c.ChunkTokens, c.ChunkOverlapTokens, c.TextField, c.TitleField,
            documents?.Count ?? 0, chunks, documents?.Tokens ?? 0, c.CreatedAt, c.HnswEfSearch, c.HnswRecallAt10, c.HnswTuneQueries,
            c.FullTextCommonWords, c.FullTextCommonShare, c.VectorIndexHalf);
    }

    public async Task<CorpusSummary?> FindByNameAsync(string name, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var id = await db.Corpora.Where(c => c.Name == name).Select(c => (long?)c.Id).SingleOrDefaultAsync(ct);
        return id is { } found ? await GetAsync(found, ct) : null;
    }

    /// <summary>Documents by token count in power-of-two buckets (document lengths span orders of magnitude).</summary>
    public async Task<List<LengthBucket>> LengthHistogramAsync(long corpusId, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT floor(log(2, greatest(token_count, 1)))::int AS b, count(*) FROM documents WHERE corpus_id = @c GROUP BY b ORDER BY b", connection);
        command.Parameters.AddWithValue("c", corpusId);
        var buckets = new List<LengthBucket>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var b = reader.GetInt32(0);
            buckets.Add(new LengthBucket(1L << b, 1L << (b + 1), reader.GetInt64(1)));
        }
        return buckets;
    }

    public async Task<Page<DocumentSummary>> DocumentsAsync(long corpusId, int page, int pageSize, string? titleFilter = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Documents.AsNoTracking().Where(d => d.CorpusId == corpusId);
        if (!string.IsNullOrWhiteSpace(titleFilter)) query = query.Where(d => EF.Functions.ILike(d.Title, $"%{titleFilter.Trim()}%"));
        var total = await query.LongCountAsync(ct);
        var items = await query.OrderBy(d => d.Id).Skip(Math.Max(0, page) * pageSize).Take(Math.Clamp(pageSize, 1, 500))
            .Select(d => new DocumentSummary(d.Id, d.Title, d.TokenCount, d.Source, d.HadInvalidUtf8, d.CreatedAt)).ToListAsync(ct);
        return new Page<DocumentSummary>(items, total);
    }

    public async Task<Document?> DocumentAsync(long documentId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Documents.AsNoTracking().SingleOrDefaultAsync(d => d.Id == documentId, ct);
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var uploads = await db.IngestionRuns.Where(r => r.CorpusId == id).SelectMany(r => r.FileList).Where(f => f.UploadId != null)
            .AsNoTracking().ToListAsync(ct);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // Its own partition first, with its chunks and indexes: the row's cascade would delete them one by one.
        await ChunkPartitions.DropAsync(connection, id, ct);
        var deleted = await db.Corpora.Where(c => c.Id == id).ExecuteDeleteAsync(ct) > 0;
        if (deleted)
        {
            await db.RecordAsync(AuditTrail.Deleted, "corpus", id, ct: ct);
            await uploadStore.RemoveAsync(uploads);
            // A corpus from before partitions keeps its indexes in the shared partition.
            await ChunkVectorIndex.DropAsync(connection, id, ct);
            await ChunkTextIndex.DropAsync(connection, id, ct);
        }
        return deleted;
    }
}
