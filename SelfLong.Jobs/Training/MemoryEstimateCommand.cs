using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training;

/// <summary>`./selflong estimate`: the "will it fit?" estimate for a model shape at several lengths, as one JSON object.</summary>
public static class MemoryEstimateCommand
{
    public const string DefaultLengths = "32k,64k,128k,256k,512k,1024k";

    public sealed record Row(
        [property: JsonPropertyName("length")] int Length,
        [property: JsonPropertyName("batch")] int Batch,
        [property: JsonPropertyName("parameter_bytes")] long ParameterBytes,
        [property: JsonPropertyName("activation_bytes")] long ActivationBytes,
        [property: JsonPropertyName("chunk_buffer_bytes")] long ChunkBufferBytes,
        [property: JsonPropertyName("total_bytes")] long TotalBytes,
        [property: JsonPropertyName("total_gib")] double TotalGib,
        [property: JsonPropertyName("fits")] bool? Fits);

    public sealed record Report(
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("parameters")] long Parameters,
        [property: JsonPropertyName("device")] string Device,
        [property: JsonPropertyName("device_memory_bytes")] long? DeviceMemoryBytes,
        [property: JsonPropertyName("bf16")] bool Bf16,
        [property: JsonPropertyName("activation_bytes_per_token")] long ActivationBytesPerToken,
        [property: JsonPropertyName("source")] string Source,
        [property: JsonPropertyName("rows")] IReadOnlyList<Row> Rows);

    /// <summary>Where the figures come from, printed with them so they are not read as measurements.</summary>
    public const string Source = "an estimate: parameter state counted, per-token activations from coefficients fitted to bench train --long on a CPU (MemoryEstimate)";

    public static Report Estimate(string model, LlamaConfig config, IReadOnlyList<int> lengths, int batch, TrainingDevice device, bool bf16)
    {
        var rows = lengths.Select(length =>
        {
            var e = MemoryEstimate.For(config, length, batch, bf16);
            return new Row(length, batch, e.ParameterBytes, e.ActivationBytes, e.ChunkBufferBytes, e.TotalBytes,
                Math.Round(e.TotalBytes / (double)(1L << 30), 1), device.MemoryBytes is { } total ? e.TotalBytes <= total : null);
        }).ToList();
        var perToken = MemoryEstimate.For(config, 1, 1, bf16).ActivationBytesPerToken;
        return new Report(model, MemoryEstimate.ParameterCount(config), device.Name, device.MemoryBytes, bf16, perToken, Source, rows);
    }

    public static Command Command()
    {
        var shape = new Option<string?>("--shape") { Description = $"A known shape: {string.Join(", ", LlamaShapes.Known.Keys)}." };
        var baseModel = new Option<string?>("--base") { Description = "\"tiny\" or a checkpoint folder whose config.json gives the shape." };
        var lengths = new Option<string>("--lengths") { Description = "Lengths in tokens, e.g. 32k,64k (k = 1024).", DefaultValueFactory = _ => DefaultLengths };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 1 };
        var deviceName = new Option<string?>("--device") { Description = "cuda (bf16) or cpu (float32); the device runs train on when omitted." };
        var deviceMemory = new Option<string?>("--device-memory") { Description = "The device's memory, e.g. 141GB; read from the device when omitted and --device is this machine's." };
        var command = new Command("estimate", "Estimated peak training memory per length for a model shape (\"will it fit?\"); one JSON object.")
        {
            shape, baseModel, lengths, batch, deviceName, deviceMemory,
        };
        command.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            try
            {
                if ((parse.GetValue(shape) is null) == (parse.GetValue(baseModel) is null))
                    throw new ArgumentException("Give exactly one of --shape or --base.");
                var (model, config) = parse.GetValue(shape) is { } name
                    ? (name, LlamaShapes.Known.TryGetValue(name, out var known)
                        ? known()
                        : throw new ArgumentException($"Unknown shape '{name}'; known: {string.Join(", ", LlamaShapes.Known.Keys)}."))
                    : (parse.GetValue(baseModel)!, BaseConfig(parse.GetValue(baseModel)!));
                if (parse.GetValue(batch) < 1) throw new ArgumentException("--batch-size must be at least 1.");
                var memory = TrainingCommands.MemorySize(parse.GetValue(deviceMemory));
                var wanted = parse.GetValue(deviceName);
                if (wanted is not (null or TrainingDevice.Cuda or TrainingDevice.Cpu)) throw new ArgumentException($"Unknown device '{wanted}'; use cuda or cpu.");
                // Another machine's device: its memory is known only when given.
                var detected = TrainingDevice.Detect(memory);
                var device = wanted is null || wanted == detected.Name ? detected : new TrainingDevice(wanted, memory);
                var report = Estimate(model, config, Evaluation.NumberList.Parse(parse.GetValue(lengths)!), parse.GetValue(batch), device,
                    device.Bf16(new TrainingOptions()));
                await parse.InvocationConfiguration.Output.WriteLineAsync(JsonSerializer.Serialize(report));
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or NotSupportedException)
            {
                await error.WriteLineAsync(e.Message);
                return 2;
            }
        });
        return command;
    }

    private static LlamaConfig BaseConfig(string baseName)
    {
        var (config, error) = TrainingPreview.ReadBaseConfig(new TrainingRunSpec { Base = baseName });
        return config ?? throw new ArgumentException(error);
    }
}
