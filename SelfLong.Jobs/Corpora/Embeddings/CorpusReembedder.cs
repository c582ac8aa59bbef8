using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Jobs.Corpora.Embeddings;

/// <summary>The embedder a corpus should switch to.</summary>
public sealed record EmbedderChange([property: System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<EmbedderKind>))] EmbedderKind Embedder, string? EmbedderBaseUrl, string? EmbedderModel, string? EmbedderApiKey, int? EmbeddingDimension);

/// <summary>
/// Re-embeds every chunk of a corpus with another embedder (possibly of another dimension): the
/// corpus's HNSW index is dropped, vectors are replaced batch by batch (COPY into a temporary
/// table, then one UPDATE), the corpus records the new embedder, and the index is rebuilt for the
/// new dimension. Vector search skips rows of the old dimension meanwhile.
/// </summary>
public sealed class CorpusReembedder(IDbContextFactory<SelfLongDbContext> dbFactory, NpgsqlDataSource dataSource, CorpusEmbedders embedders,
    IBackgroundJobClient jobs, IOptions<CorporaOptions> options, ILogger<CorpusReembedder> logger)
{
    private const int BatchChunks = 512;

    /// <summary>Checks the change, then enqueues the work on the ingest queue.</summary>
    public async Task<Dictionary<string, string[]>> EnqueueAsync(long corpusId, EmbedderChange change, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var corpus = await db.Corpora.SingleAsync(c => c.Id == corpusId, ct);
        var errors = new CorpusSettings
        {
            Name = corpus.Name, Embedder = change.Embedder, EmbedderBaseUrl = change.EmbedderBaseUrl, EmbedderModel = change.EmbedderModel,
            EmbeddingDimension = change.EmbeddingDimension,
        }.Validate();
        if (errors.Count == 0 && change.Embedder == EmbedderKind.OpenAi && await embedders.AddressProblemAsync(change.EmbedderBaseUrl!, ct) is { } denied)
            errors[nameof(change.EmbedderBaseUrl)] = [denied];
        if (errors.Count > 0) return errors;
        var dimension = change.EmbeddingDimension ?? LexicalEmbedder.DefaultDimension;
        if (change.Embedder == EmbedderKind.OpenAi && change.EmbeddingDimension is null)
        {
            try
            {
                dimension = await embedders.ProbeDimensionAsync(change.EmbedderBaseUrl!, change.EmbedderModel!, change.EmbedderApiKey, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return new() { [nameof(change.EmbedderBaseUrl)] = [$"The embeddings endpoint did not answer a test request: {ex.Message}"] };
            }
        }
        var protectedKey = string.IsNullOrEmpty(change.EmbedderApiKey) ? null : embedders.Protect(change.EmbedderApiKey);
        jobs.Enqueue<CorpusReembedJob>(r => r.RunAsync(corpusId, change.Embedder, change.EmbedderBaseUrl, change.EmbedderModel, protectedKey, dimension, CancellationToken.None));
        return [];
    }

    public async Task RunAsync(long corpusId, EmbedderKind kind, string? baseUrl, string? model, string? protectedKey, int dimension, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var corpus = await db.Corpora.SingleAsync(c => c.Id == corpusId, ct);
        var target = new Corpus
        {
            Name = corpus.Name, EmbedderKind = kind, EmbedderBaseUrl = kind == EmbedderKind.OpenAi ? baseUrl?.TrimEnd('/') : null,
            EmbedderModel = kind == EmbedderKind.OpenAi ? model : LexicalEmbedder.ModelName, EmbedderApiKeyProtected = protectedKey,
            EmbeddingDimension = dimension,
        };
        using var embedder = embedders.Create(target);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await ChunkVectorIndex.DropAsync(connection, corpusId, ct);

        long last = 0;
        while (true)
        {
            var batch = new List<(long Id, string Text)>();
            await using (var read = new NpgsqlCommand("SELECT id, text FROM chunks WHERE corpus_id = @c AND id > @last ORDER BY id LIMIT @n", connection))
            {
                read.Parameters.AddWithValue("c", corpusId);
                read.Parameters.AddWithValue("last", last);
                read.Parameters.AddWithValue("n", BatchChunks);
                await using var reader = await read.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) batch.Add((reader.GetInt64(0), reader.GetString(1)));
            }
            if (batch.Count == 0) break;
            last = batch[^1].Id;
            var vectors = await embedder.GenerateAsync(batch.Select(b => b.Text), cancellationToken: ct);
            await ReplaceAsync(connection, corpusId, dimension, batch.Select((b, i) => (b.Id, vectors[i].Vector.ToArray())).ToList(), ct);
        }

        corpus.EmbedderKind = target.EmbedderKind;
        corpus.EmbedderBaseUrl = target.EmbedderBaseUrl;
        corpus.EmbedderModel = target.EmbedderModel;
        corpus.EmbedderApiKeyProtected = protectedKey;
        corpus.EmbeddingDimension = dimension;
        await db.SaveChangesAsync(ct);
        await ChunkVectorIndex.EnsureAsync(connection, corpusId, dimension, options.Value.HnswBuild, ct);
        // New vectors make a new graph: the ef_search tuned for the old one says nothing about it.
        await HnswEfSearchTuner.TryTuneAndStoreAsync(dataSource, corpusId, embedder, options.Value, logger, ct);
    }

    private static async Task ReplaceAsync(NpgsqlConnection connection, long corpusId, int dimension, List<(long Id, float[] Vector)> rows, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var layout = new VectorLayout(dimension);
        await using (var create = new NpgsqlCommand($"CREATE TEMP TABLE reembedded (id bigint, embedding {layout.TypeName}) ON COMMIT DROP", connection, transaction))
            await create.ExecuteNonQueryAsync(ct);
        await using (var copy = await connection.BeginBinaryImportAsync("COPY reembedded (id, embedding) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var (id, vector) in rows)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(id, NpgsqlDbType.Bigint, ct);
                if (vector.Any(x => x != 0)) await copy.WriteAsync(layout.Parameter(vector), layout.TypeName, ct); else await copy.WriteNullAsync(ct);
            }
            await copy.CompleteAsync(ct);
        }
        await using (var update = new NpgsqlCommand(
            // The vector moves to the column its new dimension is stored in; the other one is cleared.
            $"UPDATE chunks c SET {layout.Column} = r.embedding, {layout.OtherColumn} = NULL, dimension = @d FROM reembedded r WHERE c.corpus_id = @c AND c.id = r.id",
            connection, transaction))
        {
            update.Parameters.AddWithValue("d", dimension);
            update.Parameters.AddWithValue("c", corpusId);
            await update.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }
}
