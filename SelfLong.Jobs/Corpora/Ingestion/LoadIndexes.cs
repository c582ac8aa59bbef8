using Npgsql;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// The two indexes a load ends with (<see cref="ChunkTextIndex"/>, <see cref="ChunkVectorIndex"/>),
/// in one turn of the index builds: the checks and drops on the turn's connection, then, in a
/// corpus's own partition, both builds at once, the full-text one on a second connection. There
/// both are plain builds, whose locks do not conflict, and the turn keeps every other build and
/// drop out until both end. The GIN build runs on one core; beside the HNSW build's two processes
/// the pair took 1.76 to 1.83 s for 9,521 chunks against 1.93 to 1.95 s one after the other
/// (measured on a 2-core server, README run 17). In the partition of the corpora from before
/// partitions, one after the other: two CONCURRENTLY builds on one table deadlock. Ingestion ends
/// with it, and so does the large corpus of `bench corpus` (SampleChunkCorpus).
/// </summary>
internal static class LoadIndexes
{
    public static async Task<VectorLayout> EnsureAsync(NpgsqlDataSource dataSource, NpgsqlConnection connection, long corpusId, int dimension,
        ChunkVectorIndex.Build build, IngestionSteps steps, CancellationToken ct)
    {
        await using var turn = await ChunkVectorIndex.TurnAsync(connection, ct);
        var text = await ChunkTextIndex.PrepareAsync(connection, corpusId, ct);
        var vector = await ChunkVectorIndex.PrepareAsync(connection, corpusId, dimension, build, ct);
        var (_, own) = await ChunkPartitions.FindAsync(connection, corpusId, ct);
        var atOnce = own && text is not null && vector.BuildAsync is not null;
        await using var second = atOnce ? await dataSource.OpenConnectionAsync(ct) : null;
        var textBuild = steps.TimeAsync(IngestionSteps.TextIndex, () => text?.Invoke(second ?? connection, ct) ?? Task.CompletedTask);
        if (!atOnce) await textBuild;
        var vectorBuild = steps.TimeAsync(IngestionSteps.VectorIndex,
            () => vector.Ready is { } ready ? Task.FromResult(ready) : vector.BuildAsync!(connection, ct));
        // Both end before the turn is given back, whichever fails.
        await Task.WhenAll(textBuild, vectorBuild);
        return await vectorBuild;
    }
}
