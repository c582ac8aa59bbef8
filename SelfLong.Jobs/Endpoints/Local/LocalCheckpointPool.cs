using System.Collections.Concurrent;
using SelfLong.Jobs.Models;
using TorchSharp;

namespace SelfLong.Jobs.Endpoints.Local;

/// <summary>
/// Checkpoints loaded for local endpoints, one per (folder, device) for the life of the process:
/// loading reads every weight, so it happens on the first call and later calls reuse the model.
/// A failed load is forgotten, so a fixed folder loads on the next call, and a folder overwritten
/// with other files (<see cref="CheckpointFolder.Fingerprint"/>) is loaded again.
/// </summary>
public sealed class LocalCheckpointPool : IDisposable
{
    private readonly ConcurrentDictionary<(string Folder, string Device, string Files), Lazy<Task<LocalCheckpoint>>> loaded = new();

    public async Task<LocalCheckpoint> GetAsync(string endpointName, LocalCheckpointSettings settings, CancellationToken ct)
    {
        var key = (Folder: Path.GetFullPath(settings.Folder), settings.Device, Files: CheckpointFolder.Fingerprint(settings.Folder));
        // The model of replaced files is dropped, not disposed: a generation may still be using it.
        foreach (var stale in loaded.Keys.Where(k => k.Folder == key.Folder && k.Device == key.Device && k.Files != key.Files))
        {
            loaded.TryRemove(stale, out _);
        }
        var lazy = loaded.GetOrAdd(key, k => new Lazy<Task<LocalCheckpoint>>(() => Task.Run(() => Load(endpointName, k.Folder, k.Device))));
        try
        {
            // A cancelled caller stops waiting; the load goes on and serves the next call.
            return await lazy.Value.WaitAsync(ct);
        }
        catch when (lazy.Value.IsFaulted)
        {
            loaded.TryRemove(KeyValuePair.Create(key, lazy));
            throw;
        }
    }

    /// <summary>True once the checkpoint in this folder has been loaded on this device.</summary>
    public bool IsLoaded(LocalCheckpointSettings settings) =>
        loaded.TryGetValue((Path.GetFullPath(settings.Folder), settings.Device, CheckpointFolder.Fingerprint(settings.Folder)), out var lazy)
        && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully;

    private static LocalCheckpoint Load(string endpointName, string folder, string device)
    {
        if (device == LocalCheckpointSettings.Cuda && !torch.cuda.is_available())
            throw new EndpointUnavailableException(
                $"Endpoint '{endpointName}' runs on cuda, but this process sees no CUDA device (or uses the CPU build of libtorch); choose cpu.");
        if (LocalCheckpointSettings.Problem(folder, out _) is { } problem)
            throw new EndpointUnavailableException($"Endpoint '{endpointName}' cannot load its checkpoint: {problem}");
        try
        {
            return LocalCheckpoint.Load(folder, device == LocalCheckpointSettings.Cuda ? torch.CUDA : torch.CPU);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException)
        {
            throw new EndpointUnavailableException($"Endpoint '{endpointName}' cannot load its checkpoint {folder}: {ex.Message}");
        }
    }

    public void Dispose()
    {
        foreach (var lazy in loaded.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) lazy.Value.Result.Dispose();
        }
        loaded.Clear();
    }
}
