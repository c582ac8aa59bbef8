using TorchSharp;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// Grouped-query attention: num_attention_heads query heads share num_key_value_heads key/value
/// heads. The product runs in scaled_dot_product_attention, so memory stays linear in length
/// where the fused kernels apply: no explicit mask, and packed rows attend segment by segment.
/// </summary>
public sealed class LlamaAttention : nn.Module
{
    private readonly LlamaLinear q_proj;
    private readonly LlamaLinear k_proj;
    private readonly LlamaLinear v_proj;
    private readonly LlamaLinear o_proj;
    private readonly int heads;
    private readonly int kvHeads;
    private readonly int headDim;

    public LlamaAttention(LlamaConfig config, Device device, ScalarType dtype) : base(nameof(LlamaAttention))
    {
        heads = config.NumAttentionHeads;
        kvHeads = config.KeyValueHeads;
        headDim = config.HeadDim;
        q_proj = new LlamaLinear(config.HiddenSize, heads * headDim, device, dtype);
        k_proj = new LlamaLinear(config.HiddenSize, kvHeads * headDim, device, dtype);
        v_proj = new LlamaLinear(config.HiddenSize, kvHeads * headDim, device, dtype);
        o_proj = new LlamaLinear(heads * headDim, config.HiddenSize, device, dtype);
        RegisterComponents();
    }

    /// <param name="x">(B, T, hidden)</param>
    /// <param name="cos">(B, T, head_dim)</param>
    /// <param name="sin">(B, T, head_dim)</param>
    /// <param name="mask">Optional boolean (B, 1, T, S), true where a query may attend; causal when null.</param>
    /// <param name="cache">Optional KV cache; this layer appends its keys and values.</param>
    /// <param name="segments">Packed rows: each segment attends causally to itself only.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, int layerIndex, PackedSegments? segments = null)
    {
        using var scope = NewDisposeScope();
        var b = x.shape[0];
        var t = x.shape[1];
        var q = q_proj.forward(x).view(b, t, heads, headDim).transpose(1, 2);   // (B, H, T, D)
        var k = k_proj.forward(x).view(b, t, kvHeads, headDim).transpose(1, 2); // (B, KV, T, D)
        var v = v_proj.forward(x).view(b, t, kvHeads, headDim).transpose(1, 2); // (B, KV, T, D)
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);

        var past = cache?.Length ?? 0;
        if (cache is not null) (k, v) = cache.Append(layerIndex, k, v);           // (B, KV, S, D)

        var y = segments is { AnyPacked: true } && cache is null
            ? AttendBySegment(q, k, v, segments)                                 // (B, H, T, D)
            : Attend(q, k, v, mask, past);
        y = y.transpose(1, 2).contiguous().view(b, t, heads * headDim);          // (B, T, H*D)
        return o_proj.forward(y).MoveToOuterDisposeScope();
    }

    /// <summary>SDPA over shared KV heads; q (B, H, T, D), k/v (B, KV, S, D), S = past + T.</summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? mask, int past)
    {
        using var scope = NewDisposeScope();
        var groups = q.shape[1] / k.shape[1];
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, dim: 1); // (B, H, S, D)
            v = v.repeat_interleave(groups, dim: 1);
        }
        if (q.dtype != k.dtype)
        {
            k = k.to_type(q.dtype);
            v = v.to_type(q.dtype);
        }
        var t = q.shape[2];
        Tensor y;
        if (mask is not null) y = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        else if (past == 0) y = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: t > 1);
        else if (t == 1) y = nn.functional.scaled_dot_product_attention(q, k, v);
        else
        {
            // A chunk after cached positions: query i (absolute past+i) sees keys 0..past+i.
            // SDPA's is_causal aligns top-left, which would be wrong here.
            var s = k.shape[2];
            var rows = arange(past, past + t, device: q.device).unsqueeze(1);
            var cols = arange(s, device: q.device).unsqueeze(0);
            y = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: cols <= rows);
        }
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Causal attention within each segment of each row: one fused SDPA call per segment, so memory
    /// is linear in T and equal to the block-causal mask's result.
    /// </summary>
    public static Tensor AttendBySegment(Tensor q, Tensor k, Tensor v, PackedSegments segments)
    {
        using var scope = NewDisposeScope();
        var rows = new List<Tensor>(segments.Rows.Count);
        for (var row = 0; row < segments.Rows.Count; row++)
        {
            var pieces = new List<Tensor>(segments.Rows[row].Length);
            var start = 0L;
            foreach (var length in segments.Rows[row])
            {
                pieces.Add(Attend(                                                 // (1, H, len, D)
                    q.narrow(0, row, 1).narrow(2, start, length),
                    k.narrow(0, row, 1).narrow(2, start, length),
                    v.narrow(0, row, 1).narrow(2, start, length), mask: null, past: 0));
                start += length;
            }
            rows.Add(pieces.Count == 1 ? pieces[0] : cat(pieces, dim: 2));
        }
        return (rows.Count == 1 ? rows[0] : cat(rows, dim: 0)).MoveToOuterDisposeScope();
    }
}
