using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// Gradients that a custom autograd function hands back to the engine. The engine keeps its own
/// reference, so ours can go as soon as the engine has taken it: at the next custom backward, or
/// when the whole backward has finished. On CUDA the engine runs backward on its own thread,
/// outside any dispose scope, so without this the tensors would wait for the garbage collector.
/// </summary>
public static class HandedBackGradients
{
    private static readonly ConcurrentQueue<Tensor> Handed = new();

    /// <summary>Detaches <paramref name="gradient"/> from dispose scopes and keeps it until <see cref="Release"/>.</summary>
    public static Tensor Hand(Tensor gradient)
    {
        gradient.DetachFromDisposeScope();
        Handed.Enqueue(gradient);
        return gradient;
    }

    /// <summary>Frees what was handed back earlier; call between custom backwards and after backward().</summary>
    public static void Release()
    {
        while (Handed.TryDequeue(out var gradient)) gradient.Dispose();
    }
}
