using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Endpoints.Local;

/// <summary>How a local-checkpoint endpoint runs: the folder, the device and its decoding.</summary>
public sealed record LocalCheckpointSettings(string Folder, string Device, int MaxNewTokens, double Temperature)
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";
    public static readonly string[] Devices = [Cpu, Cuda];

    public const int DefaultMaxNewTokens = 512;
    public const int MaxMaxNewTokens = 100_000;
    public const double MaxTemperature = 5;

    /// <summary>One call at a time per loaded checkpoint: its generations share one model and serialize anyway.</summary>
    public const int DefaultConcurrency = 1;

    public static LocalCheckpointSettings For(ModelEndpoint endpoint)
    {
        if (endpoint.Kind != ModelEndpointKind.LocalCheckpoint)
            throw new ArgumentException($"Endpoint '{endpoint.Name}' is not a local checkpoint.", nameof(endpoint));
        if (string.IsNullOrWhiteSpace(endpoint.CheckpointPath))
            throw new EndpointUnavailableException($"Endpoint '{endpoint.Name}' has no checkpoint folder; add the endpoint again with one.");
        return new(endpoint.CheckpointPath, endpoint.Device ?? Cpu, endpoint.MaxNewTokens ?? DefaultMaxNewTokens, endpoint.Temperature ?? 0);
    }

    /// <summary>
    /// Why <paramref name="folder"/> cannot be loaded as a checkpoint, or null when it has what
    /// <see cref="LocalCheckpoint.Load"/> needs: config.json, weights and a tokenizer. The weights
    /// themselves are read only when the endpoint is first called.
    /// </summary>
    public static string? Problem(string? folder, out LlamaConfig? config)
    {
        config = null;
        if (string.IsNullOrWhiteSpace(folder)) return "Enter the checkpoint folder, or pick a training checkpoint.";
        if (!Directory.Exists(folder)) return $"The folder {folder} does not exist.";
        if (!File.Exists(Path.Combine(folder, CheckpointFolder.ConfigFile)))
            return $"{folder} is not a checkpoint: it has no {CheckpointFolder.ConfigFile}.";
        try
        {
            config = CheckpointFolder.LoadConfig(folder);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            return $"{folder} is not a checkpoint: its {CheckpointFolder.ConfigFile} cannot be read ({ex.Message}).";
        }
        if (!File.Exists(Path.Combine(folder, CheckpointFolder.WeightsFile)) && !File.Exists(Path.Combine(folder, CheckpointFolder.IndexFile)))
            return $"{folder} is not a checkpoint: it has no {CheckpointFolder.WeightsFile} or {CheckpointFolder.IndexFile}.";
        if (!File.Exists(Path.Combine(folder, ByteTokenizer.MarkerFile)) && !Llama3Tokenizer.Exists(folder))
            return $"{folder} has no tokenizer (tokenizer.json, tokenizer.model or {ByteTokenizer.MarkerFile}).";
        return null;
    }
}
