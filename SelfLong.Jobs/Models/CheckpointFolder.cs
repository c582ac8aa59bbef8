using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// A Hugging Face checkpoint folder: config.json, then model.safetensors or a sharded set named by
/// model.safetensors.index.json. Loading is strict: every parameter present with its exact shape,
/// nothing unexpected.
/// </summary>
public static class CheckpointFolder
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Tokenizer files copied along when a trained model is saved beside its source.</summary>
    public static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", ByteTokenizer.MarkerFile];

    /// <summary>
    /// Names, sizes and write times of the files that decide what a checkpoint computes (config,
    /// weights, tokenizer), hashed: it changes when a folder is overwritten with other weights, so
    /// answers cached for, and models loaded from, the old files are not taken for the new ones.
    /// </summary>
    public static string Fingerprint(string dir)
    {
        var files = new DirectoryInfo(dir).Exists
            ? new DirectoryInfo(dir).EnumerateFiles()
                .Where(f => f.Name == ConfigFile || f.Extension == ".safetensors" || f.Name == IndexFile || TokenizerFiles.Contains(f.Name))
                .OrderBy(f => f.Name, StringComparer.Ordinal)
                .Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}")
            : [];
        var text = string.Join("\n", files);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
    }

    public static LlamaConfig LoadConfig(string dir)
    {
        var path = Path.Combine(dir, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"No {ConfigFile} in {dir}; a checkpoint folder needs one.", path);
        return LlamaConfig.Load(path);
    }

    /// <summary>Builds the model from config.json and loads its weights.</summary>
    public static LlamaForCausalLM Load(string dir, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        var model = new LlamaForCausalLM(LoadConfig(dir), device, dtype, initialize: false);
        try
        {
            LoadWeights(model, dir);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>file name for each tensor key, from the index or the single file.</summary>
    public static Dictionary<string, string> WeightMap(string dir)
    {
        var index = Path.Combine(dir, IndexFile);
        if (File.Exists(index))
        {
            var map = JsonNode.Parse(File.ReadAllText(index))?["weight_map"]?.AsObject()
                ?? throw new InvalidDataException($"{IndexFile} has no weight_map.");
            return map.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
        }
        var single = Path.Combine(dir, WeightsFile);
        if (!File.Exists(single)) throw new FileNotFoundException($"No {WeightsFile} or {IndexFile} in {dir}.", single);
        return SafeTensors.ReadHeader(single).ToDictionary(e => e.Name, _ => WeightsFile);
    }

    public static void LoadWeights(LlamaForCausalLM model, string dir)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var map = WeightMap(dir);
        // Keys a Hugging Face file may carry that are not parameters: older exports store the
        // rotary buffer, and some tied checkpoints still write lm_head.weight.
        bool Ignorable(string key) => key.EndsWith(".rotary_emb.inv_freq") || (model.Config.TieWordEmbeddings && key == "lm_head.weight");
        var missing = parameters.Keys.Where(k => !map.ContainsKey(k)).ToList();
        var unexpected = map.Keys.Where(k => !parameters.ContainsKey(k) && !Ignorable(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException(
                $"Checkpoint {dir} does not match its config: {missing.Count} missing key(s) [{string.Join(", ", missing.Take(5))}], " +
                $"{unexpected.Count} unexpected key(s) [{string.Join(", ", unexpected.Take(5))}].");

        using var _ = no_grad();
        foreach (var group in map.Where(p => parameters.ContainsKey(p.Key)).GroupBy(p => p.Value))
        {
            var file = Path.Combine(dir, group.Key);
            using var stream = File.OpenRead(file);
            var entries = SafeTensors.ReadHeader(file).ToDictionary(e => e.Name);
            foreach (var (key, _) in group)
            {
                if (!entries.TryGetValue(key, out var entry))
                    throw new InvalidDataException($"{group.Key} does not contain '{key}' although the index says so.");
                var target = parameters[key];
                if (!entry.Shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"'{key}' has shape [{string.Join(", ", entry.Shape)}] in {group.Key}; the config needs [{string.Join(", ", target.shape)}].");
                using var loaded = SafeTensors.ReadTensor(stream, entry, file);
                target.copy_(loaded);
            }
        }
    }

    /// <summary>
    /// Writes config.json and the weights in Hugging Face's layout (model.safetensors, or shards and
    /// an index past <paramref name="maxShardBytes"/>), with the parameters in their own dtype (so
    /// the round trip is bit-exact), and copies tokenizer files from <paramref name="tokenizerSource"/>
    /// when given.
    /// </summary>
    public static void Save(LlamaForCausalLM model, string dir, LlamaConfig? config = null, string? tokenizerSource = null,
        long maxShardBytes = ShardedWeights.DefaultMaxShardBytes)
    {
        Directory.CreateDirectory(dir);
        config ??= model.Config;
        var parameters = model.named_parameters().ToList();
        var saved = config.Clone();
        saved.TorchDtype = parameters.Count > 0 ? TorchDtypeName(parameters[0].parameter.dtype) : saved.TorchDtype;
        ShardedWeights.Save(dir, [.. parameters.Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter))], maxShardBytes);
        File.WriteAllText(Path.Combine(dir, ConfigFile), saved.ToJson());
        if (tokenizerSource is not null && Path.GetFullPath(tokenizerSource) != Path.GetFullPath(dir))
        {
            foreach (var name in TokenizerFiles)
            {
                var source = Path.Combine(tokenizerSource, name);
                if (File.Exists(source)) File.Copy(source, Path.Combine(dir, name), overwrite: true);
            }
        }
    }

    public static string TorchDtypeName(ScalarType type) => type switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => "float32",
    };
}
