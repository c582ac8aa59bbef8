using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// Keys and values of every layer, preallocated to a capacity: (B, kv_heads, capacity, head_dim)
/// per layer. Keys are stored after rotation, before the GQA repeat, so memory is per KV head.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] keys;
    private readonly Tensor[] values;

    public KvCache(LlamaConfig config, long batch, int capacity, Device device, ScalarType dtype)
    {
        Capacity = capacity;
        keys = new Tensor[config.NumHiddenLayers];
        values = new Tensor[config.NumHiddenLayers];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = zeros([batch, config.KeyValueHeads, capacity, config.HeadDim], dtype: dtype, device: device).DetachFromDisposeScope();
            values[i] = zeros([batch, config.KeyValueHeads, capacity, config.HeadDim], dtype: dtype, device: device).DetachFromDisposeScope();
        }
    }

    public int Capacity { get; }

    /// <summary>Positions already cached (the same for every layer between forwards).</summary>
    public int Length { get; private set; }

    /// <summary>Writes (B, kv, T, D) at [Length, Length+T) and returns views over [0, Length+T).</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var t = (int)k.shape[2];
        if (Length + t > Capacity)
            throw new InvalidOperationException($"KV cache holds {Capacity} positions; {Length + t} were asked for.");
        using (no_grad())
        {
            keys[layer].narrow(2, Length, t).copy_(k);
            values[layer].narrow(2, Length, t).copy_(v);
        }
        return (keys[layer].narrow(2, 0, Length + t), values[layer].narrow(2, 0, Length + t));
    }

    /// <summary>Called by the model once every layer has appended the same T positions.</summary>
    public void Advance(int t) => Length += t;

    public void Dispose()
    {
        foreach (var k in keys) k.Dispose();
        foreach (var v in values) v.Dispose();
    }
}
