namespace SelfLong.Jobs.Corpora.Retrieval;

/// <summary>
/// Reciprocal rank fusion (Cormack et al., 2009): a chunk scores the sum over the ranked lists
/// that hold it of 1 / (60 + rank), ranks from 1; ties go to the better single rank, then the
/// lower chunk id, so the order is the same on every run.
/// </summary>
public static class ReciprocalRankFusion
{
    public const int K = 60;

    public static IReadOnlyList<RetrievedChunk> Fuse(int topK, params IReadOnlyList<RetrievedChunk>[] lists)
    {
        var scores = new Dictionary<long, (RetrievedChunk Chunk, double Score, int Best)>();
        foreach (var list in lists)
        {
            for (var rank = 0; rank < list.Count; rank++)
            {
                var chunk = list[rank];
                var add = 1.0 / (K + rank + 1);
                scores[chunk.ChunkId] = scores.TryGetValue(chunk.ChunkId, out var seen)
                    ? (seen.Chunk, seen.Score + add, Math.Min(seen.Best, rank))
                    : (chunk, add, rank);
            }
        }
        return scores.Values.OrderByDescending(s => s.Score).ThenBy(s => s.Best).ThenBy(s => s.Chunk.ChunkId).Take(topK)
            .Select(s => s.Chunk with { Score = s.Score }).ToList();
    }
}
