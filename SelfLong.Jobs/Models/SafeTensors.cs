using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the raw little-endian bytes. Read and written here
/// byte for byte, so a save-load round trip is exact.
/// </summary>
public static class SafeTensors
{
    public sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    private static readonly Dictionary<string, ScalarType> DTypes = new()
    {
        ["F32"] = ScalarType.Float32,
        ["F16"] = ScalarType.Float16,
        ["BF16"] = ScalarType.BFloat16,
        ["F64"] = ScalarType.Float64,
        ["I64"] = ScalarType.Int64,
        ["I32"] = ScalarType.Int32,
        ["I16"] = ScalarType.Int16,
        ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte,
        ["BOOL"] = ScalarType.Bool,
    };

    public static string DTypeName(ScalarType type) =>
        DTypes.FirstOrDefault(p => p.Value == type).Key ?? throw new NotSupportedException($"dtype {type} has no safetensors name here.");

    /// <summary>The entries of a file's header; data offsets are absolute in the file.</summary>
    public static IReadOnlyList<Entry> ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path);
    }

    private static List<Entry> ReadHeader(Stream stream, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var length = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (length <= 0 || length > 100_000_000 || length > stream.Length - 8)
            throw new InvalidDataException($"{Path.GetFileName(path)} is not a safetensors file (header length {length}).");
        var header = new byte[length];
        stream.ReadExactly(header);
        var dataStart = 8 + length;
        var entries = new List<Entry>();
        foreach (var (name, node) in JsonNode.Parse(header)!.AsObject())
        {
            if (name == "__metadata__") continue;
            var dtypeName = node!["dtype"]!.GetValue<string>();
            if (!DTypes.TryGetValue(dtypeName, out var dtype))
                throw new NotSupportedException($"{Path.GetFileName(path)}: tensor '{name}' has dtype {dtypeName}, which is not supported.");
            var shape = node["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            var offsets = node["data_offsets"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            entries.Add(new Entry(name, dtype, shape, dataStart + offsets[0], dataStart + offsets[1]));
        }
        return entries;
    }

    /// <summary>Reads every tensor (or those <paramref name="include"/> accepts) to CPU tensors.</summary>
    public static Dictionary<string, Tensor> Load(string path, Func<string, bool>? include = null)
    {
        using var stream = File.OpenRead(path);
        var result = new Dictionary<string, Tensor>();
        foreach (var entry in ReadHeader(stream, path))
        {
            if (include is not null && !include(entry.Name)) continue;
            result[entry.Name] = ReadTensor(stream, entry, path);
        }
        return result;
    }

    public static Tensor ReadTensor(Stream stream, Entry entry, string path)
    {
        var t = empty(entry.Shape, dtype: entry.DType, device: CPU);
        var expected = t.NumberOfElements * t.ElementSize;
        if (entry.End - entry.Begin != expected)
        {
            t.Dispose();
            throw new InvalidDataException($"{Path.GetFileName(path)}: tensor '{entry.Name}' holds {entry.End - entry.Begin} bytes, its shape needs {expected}.");
        }
        if (expected > 0)
        {
            stream.Seek(entry.Begin, SeekOrigin.Begin);
            var bytes = new byte[expected];
            stream.ReadExactly(bytes);
            t.bytes = bytes;
        }
        return t;
    }

    /// <summary>Writes tensors in the given order; the header is padded to 8 bytes as transformers does.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>()) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, t) in list)
        {
            var size = t.NumberOfElements * t.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeName(t.dtype),
                ["shape"] = new JsonArray([.. t.shape.Select(d => (JsonNode)d)]),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        var padded = (headerBytes.Length + 7) / 8 * 8;
        var tmp = path + ".tmp";
        using (var stream = File.Create(tmp))
        {
            Span<byte> lengthBytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(lengthBytes, padded);
            stream.Write(lengthBytes);
            stream.Write(headerBytes);
            for (var i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, t) in list)
            {
                using var cpu = t.detach().cpu().contiguous();
                if (cpu.NumberOfElements > 0) stream.Write(cpu.bytes);
            }
        }
        File.Move(tmp, path, overwrite: true);
    }
}
