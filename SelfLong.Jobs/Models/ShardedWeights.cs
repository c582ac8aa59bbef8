using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// Writes a model's weights as transformers' save_pretrained does: one model.safetensors when they
/// fit under the shard limit, else model-0000i-of-0000N.safetensors plus model.safetensors.index.json
/// (metadata.total_size and weight_map). Tensors are never split.
/// </summary>
public static class ShardedWeights
{
    /// <summary>transformers' default max_shard_size, "5GB" (decimal gigabytes).</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    /// <summary>
    /// Groups tensors into shards as huggingface_hub's split_torch_state_dict_into_shards does: in
    /// order, a new shard when the next tensor would tip the current one over the limit, and a
    /// tensor larger than the limit alone in a shard of its own.
    /// </summary>
    public static List<List<KeyValuePair<string, Tensor>>> Split(IReadOnlyList<KeyValuePair<string, Tensor>> tensors, long maxShardBytes)
    {
        if (maxShardBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), "The maximum shard size must be positive.");
        var shards = new List<List<KeyValuePair<string, Tensor>>>();
        var current = new List<KeyValuePair<string, Tensor>>();
        long currentBytes = 0;
        foreach (var pair in tensors)
        {
            var bytes = Bytes(pair.Value);
            if (bytes > maxShardBytes)
            {
                shards.Add([pair]);
                continue;
            }
            if (currentBytes + bytes > maxShardBytes)
            {
                shards.Add(current);
                current = [];
                currentBytes = 0;
            }
            current.Add(pair);
            currentBytes += bytes;
        }
        if (current.Count > 0) shards.Add(current);
        return shards;
    }

    /// <summary>transformers' shard name: model-00001-of-00003.safetensors.</summary>
    public static string ShardName(int index, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"model-{index + 1:D5}-of-{count:D5}.safetensors");

    /// <summary>Writes the weights and removes weight files a previous save left that the new one does not use.</summary>
    public static void Save(string dir, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, long maxShardBytes = DefaultMaxShardBytes)
    {
        var shards = Split(tensors, maxShardBytes);
        var written = new HashSet<string>();
        if (shards.Count <= 1)
        {
            SafeTensors.Save(Path.Combine(dir, CheckpointFolder.WeightsFile), tensors);
            written.Add(CheckpointFolder.WeightsFile);
        }
        else
        {
            var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < shards.Count; i++)
            {
                var name = ShardName(i, shards.Count);
                SafeTensors.Save(Path.Combine(dir, name), shards[i]);
                written.Add(name);
                foreach (var (key, _) in shards[i]) weightMap[key] = name;
            }
            // Written last: a reader that finds the index finds every shard it names.
            File.WriteAllText(Path.Combine(dir, CheckpointFolder.IndexFile), IndexJson(tensors.Sum(p => Bytes(p.Value)), weightMap));
            written.Add(CheckpointFolder.IndexFile);
        }
        RemoveStale(dir, written);
    }

    /// <summary>
    /// The index as transformers writes it: json.dumps(index, indent=2, sort_keys=True) + "\n".
    /// </summary>
    public static string IndexJson(long totalSize, IReadOnlyDictionary<string, string> weightMap)
    {
        var map = new JsonObject();
        foreach (var (key, file) in weightMap.OrderBy(p => p.Key, StringComparer.Ordinal)) map[key] = file;
        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = totalSize },
            ["weight_map"] = map,
        };
        var options = new JsonSerializerOptions { WriteIndented = true, IndentSize = 2, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return index.ToJsonString(options).ReplaceLineEndings("\n") + "\n";
    }

    private static long Bytes(Tensor t) => t.NumberOfElements * t.ElementSize;

    private static void RemoveStale(string dir, HashSet<string> written)
    {
        var candidates = Directory.EnumerateFiles(dir, "model-*-of-*.safetensors").Select(Path.GetFileName)
            .Append(CheckpointFolder.WeightsFile).Append(CheckpointFolder.IndexFile);
        foreach (var name in candidates.OfType<string>().Where(n => !written.Contains(n)))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) File.Delete(path);
        }
    }

    /// <summary>
    /// A size as transformers' max_shard_size takes it: bytes, or a number with KB/MB/GB (powers of
    /// 1000) or KiB/MiB/GiB (powers of 1024), e.g. "5GB", "200MiB", "1000000".
    /// </summary>
    public static long ParseSize(string text)
    {
        var s = text.Trim();
        (string Unit, long Factor)[] units =
        [
            ("GIB", 1L << 30), ("MIB", 1L << 20), ("KIB", 1L << 10),
            ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("B", 1),
        ];
        foreach (var (unit, factor) in units)
        {
            if (!s.EndsWith(unit, StringComparison.OrdinalIgnoreCase)) continue;
            if (double.TryParse(s[..^unit.Length].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0)
                return (long)Math.Round(value * factor);
            break;
        }
        if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var plain) && plain > 0) return plain;
        throw new ArgumentException($"'{text}' is not a shard size; give bytes or a number with KB, MB, GB, KiB, MiB or GiB (e.g. 5GB or 200MiB).");
    }
}
