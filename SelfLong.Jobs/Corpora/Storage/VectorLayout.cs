using Npgsql;
using Pgvector;
using SelfLong.Data.Corpora;

namespace SelfLong.Jobs.Corpora.Storage;

/// <summary>How chunk vectors are indexed for one dimension (pgvector 0.8's HNSW limits).</summary>
public enum VectorIndexKind
{
    /// <summary>Up to 2,000 dimensions: HNSW on <c>vector(N)</c>, cosine.</summary>
    Vector,
    /// <summary>2,001 to 4,000: HNSW on <c>halfvec(N)</c>, cosine.</summary>
    HalfVector,
    /// <summary>
    /// 4,001 to 16,000 (E5-mistral's 4,096 and up): HNSW on <c>binary_quantize(v)::bit(N)</c> by
    /// Hamming distance for candidates, which are then re-ranked by exact cosine on the stored halfvec.
    /// </summary>
    BinaryQuantized,
}

/// <summary>
/// Where a corpus's chunk vectors live and how they are searched, decided by the corpus's embedding
/// dimension alone, so every writer and reader asks this one place.
/// <para>
/// Two untyped columns rather than one typed column per corpus: chunks of every corpus share one
/// table, and corpora differ in dimension. <c>embedding vector</c> keeps full float precision for
/// the common sizes (the lexical embedder's 256, 768, 1,024, 1,536); above 2,000 dimensions the
/// vector goes into <c>embedding_half halfvec</c> instead: half the bytes where vectors are largest
/// (8 KiB rather than 16 KiB at 4,096), and the type pgvector can index up to 4,000 dimensions,
/// beyond which its binary quantization is indexed instead. A row fills exactly one of the two.
/// Converting the existing column to halfvec for every corpus would have lost precision and
/// rewritten every stored corpus for no gain at small dimensions.
/// </para>
/// <para>
/// <paramref name="HalfIndex"/>: up to 2,000 dimensions, the HNSW index holds the vectors cast to
/// halfvec, as <see cref="ChunkVectorIndex"/> builds it now: half the bytes an HNSW search walks
/// through, and the same recall once its candidates are re-ranked by exact distance on the stored
/// vector. An index built before holds the full vectors (false); the corpus row says which
/// (<c>vector_index_half</c>), and <see cref="For"/> and <see cref="ReadAsync"/> read it from there.
/// </para>
/// </summary>
public sealed record VectorLayout(int Dimension, bool HalfIndex = false)
{
    /// <summary>The layout of the corpus's vectors and of the index it has.</summary>
    public static VectorLayout For(Corpus corpus) => new(corpus.EmbeddingDimension, corpus.VectorIndexHalf);

    /// <summary>The layout of corpus <paramref name="corpusId"/> as its row stands; null when there is no such corpus.</summary>
    public static async Task<VectorLayout?> ReadAsync(NpgsqlConnection connection, long corpusId, CancellationToken ct)
    {
        await using var read = new NpgsqlCommand("SELECT embedding_dimension, vector_index_half FROM corpora WHERE id = @id", connection);
        read.Parameters.AddWithValue("id", corpusId);
        await using var reader = await read.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new VectorLayout(reader.GetInt32(0), reader.GetBoolean(1)) : null;
    }

    public const int MaxVectorIndexDimension = 2000;
    public const int MaxHalfVectorIndexDimension = 4000;
    /// <summary>The most dimensions a halfvec holds (pgvector).</summary>
    public const int MaxDimension = 16000;

    public VectorIndexKind Kind => Dimension switch
    {
        <= MaxVectorIndexDimension => VectorIndexKind.Vector,
        <= MaxHalfVectorIndexDimension => VectorIndexKind.HalfVector,
        _ => VectorIndexKind.BinaryQuantized,
    };

    public bool IsHalf => Dimension > MaxVectorIndexDimension;

    /// <summary>Whether the HNSW index holds full vectors cast to halfvec (<see cref="HalfIndex"/> where it applies).</summary>
    public bool IndexesHalfCast => Kind == VectorIndexKind.Vector && HalfIndex;

    /// <summary>Whether the index orders by an approximation of the distance, so its candidates are re-ranked by the exact one.</summary>
    public bool Reranks => Kind == VectorIndexKind.BinaryQuantized || IndexesHalfCast;

    /// <summary>What the HNSW index holds and how it ranks, in words (the corpus page, `bench corpus`).</summary>
    public string IndexDescription => Kind switch
    {
        VectorIndexKind.Vector when IndexesHalfCast => "vectors cast to halfvec, cosine, re-ranked by exact cosine",
        VectorIndexKind.Vector => "vector, cosine",
        VectorIndexKind.HalfVector => "halfvec, cosine",
        _ => "binary-quantized, re-ranked by exact cosine",
    };

    /// <summary>The column holding this dimension's vectors.</summary>
    public string Column => IsHalf ? "embedding_half" : "embedding";

    /// <summary>The column other dimensions use, empty in this layout's rows.</summary>
    public string OtherColumn => IsHalf ? "embedding" : "embedding_half";

    /// <summary>The pgvector type of the column and of query parameters.</summary>
    public string TypeName => IsHalf ? "halfvec" : "vector";

    /// <summary>The stored vector cast to its dimension: exact distances use it, and the two HNSW kinds index it.</summary>
    public string Typed => $"({Column}::{TypeName}({Dimension}))";

    /// <summary>Bytes of one indexed value: a float or half per dimension, or a bit once quantized, and a header.</summary>
    public int IndexedBytes => Kind switch
    {
        VectorIndexKind.Vector => (IndexesHalfCast ? 2 : 4) * Dimension + 8,
        VectorIndexKind.HalfVector => 2 * Dimension + 8,
        _ => (Dimension + 7) / 8 + 8,
    };

    /// <summary>The indexed expression; queries must repeat it literally for the planner to use the index.</summary>
    public string IndexExpression => Kind == VectorIndexKind.BinaryQuantized ? $"(binary_quantize({Column})::bit({Dimension}))"
        : IndexesHalfCast ? $"({Typed}::halfvec({Dimension}))"
        : Typed;

    public string OperatorClass => Kind switch
    {
        VectorIndexKind.Vector => IndexesHalfCast ? "halfvec_cosine_ops" : "vector_cosine_ops",
        VectorIndexKind.HalfVector => "halfvec_cosine_ops",
        _ => "bit_hamming_ops",
    };

    /// <summary>The ORDER BY term the index answers, for a query vector in parameter <paramref name="parameter"/>.</summary>
    public string IndexOrder(string parameter) => Kind == VectorIndexKind.BinaryQuantized
        ? $"{IndexExpression} <~> binary_quantize({parameter})::bit({Dimension})"
        : IndexesHalfCast ? $"{IndexExpression} <=> ({parameter})::halfvec({Dimension})"
        : $"{Typed} <=> {parameter}";

    /// <summary>Exact cosine distance to the query vector in <paramref name="parameter"/>.</summary>
    public string ExactDistance(string parameter) => $"{Typed} <=> {parameter}";

    /// <summary>The query vector as the parameter value the column's type takes.</summary>
    public object Parameter(float[] vector) => IsHalf ? Half(vector) : new Vector(vector);

    public static HalfVector Half(float[] vector)
    {
        var half = new Half[vector.Length];
        System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(vector, half);
        return new HalfVector(half);
    }
}
