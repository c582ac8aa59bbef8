using System.Numerics.Tensors;
using Npgsql;
using Pgvector;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Jobs.Corpora.Retrieval;

/// <summary>
/// The exact nearest chunks of many query vectors at once, the reference ef_search tuning measures
/// recall against (HnswEfSearchTuner): the corpus's vectors are read once, by binary COPY, and
/// every query's cosine distance to each is computed here. One exact search in SQL reads every
/// vector of the corpus for one query: 17 ms per query at 9,521 chunks, more than half of an
/// ingestion's tuning step, and 32 full scans at a million chunks (measured).
/// </summary>
public static class ExactNearest
{
    /// <summary>Rows buffered before their distances are computed, across cores, a query per task.</summary>
    private const int BlockRows = 4096;

    /// <summary>
    /// For each query (of the corpus's dimension), the cosine distances of its <paramref name="k"/>
    /// nearest chunks with a vector, nearest first, as pgvector's <c>&lt;=&gt;</c> computes them (to
    /// float rounding); none for a zero vector, which has no cosine distance.
    /// </summary>
    public static async Task<List<double>[]> DistancesAsync(NpgsqlDataSource dataSource, long corpusId, VectorLayout layout,
        IReadOnlyList<float[]> queries, int k, CancellationToken ct)
    {
        var dimension = layout.Dimension;
        // A halfvec corpus is searched with the query cast to halfvec too (VectorLayout.Parameter).
        if (layout.IsHalf)
            queries = [.. queries.Select(q =>
            {
                var rounded = new float[q.Length];
                TensorPrimitives.ConvertToSingle(VectorLayout.Half(q).Memory.Span, rounded);
                return rounded;
            })];
        var norms = queries.Select(q => (double)TensorPrimitives.Norm(q)).ToArray();
        var nearest = queries.Select(_ => new Nearest(k)).ToArray();
        var block = new float[BlockRows * dimension];
        var blockNorms = new double[BlockRows];
        var rows = 0;

        void Flush()
        {
            var filled = rows;
            Parallel.For(0, queries.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, q =>
            {
                if (norms[q] == 0) return;
                for (var r = 0; r < filled; r++)
                {
                    var dot = TensorPrimitives.Dot(queries[q], block.AsSpan(r * dimension, dimension));
                    nearest[q].Offer(1 - Math.Clamp(dot / (norms[q] * blockNorms[r]), -1, 1));
                }
            });
            rows = 0;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using (var export = await connection.BeginBinaryExportAsync(
            $"COPY (SELECT {layout.Typed} FROM chunks WHERE {RetrievalSql.VectorFilter(corpusId, layout)}) TO STDOUT (FORMAT BINARY)", ct))
        {
            while (await export.StartRowAsync(ct) != -1)
            {
                var offset = rows * dimension;
                if (layout.IsHalf) TensorPrimitives.ConvertToSingle((await export.ReadAsync<HalfVector>(ct)).Memory.Span, block.AsSpan(offset, dimension));
                else (await export.ReadAsync<Vector>(ct)).Memory.CopyTo(block.AsMemory(offset, dimension));
                blockNorms[rows] = TensorPrimitives.Norm(block.AsSpan(offset, dimension));
                if (++rows == BlockRows) Flush();
            }
        }
        Flush();
        return [.. nearest.Select(n => n.Sorted())];
    }

    /// <summary>The k smallest distances offered, kept in order (k is small: an insertion beats a heap).</summary>
    private sealed class Nearest(int k)
    {
        private readonly List<double> kept = new(k + 1);

        public void Offer(double distance)
        {
            if (kept.Count == k && distance >= kept[^1]) return;
            var at = kept.BinarySearch(distance);
            kept.Insert(at < 0 ? ~at : at, distance);
            if (kept.Count > k) kept.RemoveAt(k);
        }

        public List<double> Sorted() => kept;
    }
}
