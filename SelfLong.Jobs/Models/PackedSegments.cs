using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// How a (B, T) batch is cut into samples: per row, the lengths of its segments in order (they sum
/// to T; trailing padding is a segment of its own). Each segment attends causally to itself only,
/// and attention runs segment by segment, so no T x T tensor is ever built.
/// </summary>
public sealed record PackedSegments(IReadOnlyList<int[]> Rows)
{
    /// <summary>True when some row holds more than one segment; otherwise plain causal attention is exact.</summary>
    public bool AnyPacked => Rows.Any(r => r.Length > 1);

    /// <summary>
    /// The dense block-causal mask (B, 1, T, T) these segments stand for: query i sees key j when
    /// j &lt;= i and both lie in one segment. Quadratic in T; kept as the reference the segment-wise
    /// path is tested against.
    /// </summary>
    public Tensor ToDenseMask(Device? device = null)
    {
        using var scope = NewDisposeScope();
        var length = Rows[0].Sum();
        var ids = new long[Rows.Count * length];
        for (var row = 0; row < Rows.Count; row++)
        {
            var at = row * length;
            for (var segment = 0; segment < Rows[row].Length; segment++)
                for (var i = 0; i < Rows[row][segment]; i++) ids[at++] = segment;
        }
        var seg = tensor(ids, [Rows.Count, length], device: device);
        var same = seg.unsqueeze(2).eq(seg.unsqueeze(1));                            // (B, T, T)
        var causal = ones([length, length], dtype: ScalarType.Bool, device: device).tril();
        return same.logical_and(causal).unsqueeze(1).MoveToOuterDisposeScope();     // (B, 1, T, T)
    }
}
