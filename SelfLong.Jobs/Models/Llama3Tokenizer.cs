using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace SelfLong.Jobs.Models;

/// <summary>
/// The Llama-3 tokenizer (tiktoken BPE, 128k ranks plus 256 special tokens) read from a checkpoint
/// folder: the tiktoken-format tokenizer.model, or tokenizer.json whose byte-level vocabulary is
/// converted to tiktoken ranks. Special token names come from the folder when it has them.
/// </summary>
public sealed partial class Llama3Tokenizer : ITextTokenizer
{
    /// <summary>Llama 3's pre-tokenization pattern (meta-llama/llama3, tokenizer.py).</summary>
    private const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const int SpecialCount = 256;

    private readonly TiktokenTokenizer tokenizer;

    private Llama3Tokenizer(string name, TiktokenTokenizer tokenizer, int vocabSize, IReadOnlyDictionary<string, int> specials)
    {
        Name = name;
        this.tokenizer = tokenizer;
        VocabSize = vocabSize;
        int Id(string name) => specials.TryGetValue(name, out var id) ? id : throw new InvalidDataException($"The tokenizer has no {name} token.");
        Chat = new ChatTokens(Id("<|begin_of_text|>"), Id("<|end_of_text|>"), Id("<|start_header_id|>"), Id("<|end_header_id|>"), Id("<|eot_id|>"));
    }

    public int VocabSize { get; }

    /// <summary>"Llama 3 BPE" and the folder it was read from, as runs record their tokenizer.</summary>
    public string Name { get; }

    public ChatTokens Chat { get; }

    public IReadOnlyList<int> Encode(string text) => tokenizer.EncodeToIds(text);

    public string Decode(IEnumerable<int> ids) => tokenizer.Decode(ids);

    public int CountTokens(string text) => tokenizer.CountTokens(text);

    public string Truncate(string text, int maxTokens) => TruncateCounted(text, maxTokens).Text;

    public (string Text, int Tokens) TruncateCounted(string text, int maxTokens)
    {
        if (maxTokens <= 0) return ("", 0);
        var index = tokenizer.GetIndexByTokenCount(text, maxTokens, out _, out var count);
        return (text[..index], count);
    }

    public static bool Exists(string dir) =>
        File.Exists(Path.Combine(dir, "tokenizer.model")) || File.Exists(Path.Combine(dir, "tokenizer.json"));

    public static Llama3Tokenizer Load(string dir)
    {
        var model = Path.Combine(dir, "tokenizer.model");
        var json = Path.Combine(dir, "tokenizer.json");
        string ranks;
        Dictionary<string, int> specials;
        if (File.Exists(model))
        {
            ranks = File.ReadAllText(model);
            var count = ranks.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            specials = SpecialsFromConfig(dir) ?? DefaultSpecials(count);
        }
        else if (File.Exists(json))
        {
            (ranks, specials) = FromTokenizerJson(File.ReadAllText(json));
        }
        else throw new FileNotFoundException($"No tokenizer.model or tokenizer.json in {dir}.");

        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(ranks));
        var tiktoken = TiktokenTokenizer.Create(stream, new RegexPreTokenizer(Llama3Regex(), specials), normalizer: null, specialTokens: specials,
            cacheSize: SelfLong.Jobs.Text.TiktokenTokenCounter.CachedPieces);
        var vocab = Math.Max(ranks.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, specials.Values.DefaultIfEmpty(0).Max() + 1);
        return new Llama3Tokenizer($"Llama 3 BPE ({Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)))})", tiktoken, vocab, specials);
    }

    /// <summary>Meta's names for the 256 specials that follow the BPE ranks (Llama 3.1 naming).</summary>
    private static Dictionary<string, int> DefaultSpecials(int first)
    {
        string[] named =
        [
            "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
            "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
            "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
        ];
        var result = new Dictionary<string, int>();
        for (var i = 0; i < SpecialCount; i++)
            result[i < named.Length ? named[i] : $"<|reserved_special_token_{i - named.Length + 3}|>"] = first + i;
        return result;
    }

    /// <summary>added_tokens_decoder of tokenizer_config.json, when the folder has it.</summary>
    private static Dictionary<string, int>? SpecialsFromConfig(string dir)
    {
        var path = Path.Combine(dir, "tokenizer_config.json");
        if (!File.Exists(path)) return null;
        var added = JsonNode.Parse(File.ReadAllText(path))?["added_tokens_decoder"]?.AsObject();
        return added?.ToDictionary(p => p.Value!["content"]!.GetValue<string>(), p => int.Parse(p.Key));
    }

    /// <summary>
    /// tokenizer.json's vocabulary is GPT-2 byte-level text (each byte mapped to a printable
    /// character); tiktoken ranks are base64 of the raw bytes. The ids are the ranks.
    /// </summary>
    public static (string Ranks, Dictionary<string, int> Specials) FromTokenizerJson(string json)
    {
        var root = JsonNode.Parse(json)!;
        var vocab = root["model"]?["vocab"]?.AsObject() ?? throw new InvalidDataException("tokenizer.json has no model.vocab.");
        var specials = root["added_tokens"]?.AsArray()
            .ToDictionary(t => t!["content"]!.GetValue<string>(), t => t!["id"]!.GetValue<int>()) ?? [];
        var decoder = ByteLevelDecoder();
        var builder = new StringBuilder();
        foreach (var (token, id) in vocab.OrderBy(p => p.Value!.GetValue<int>()))
        {
            if (specials.ContainsKey(token)) continue;
            var bytes = token.Select(c => decoder.TryGetValue(c, out var b) ? b
                : throw new InvalidDataException($"tokenizer.json token '{token}' is not byte-level BPE; only Llama-3-style tokenizers load here.")).ToArray();
            builder.Append(Convert.ToBase64String(bytes)).Append(' ').Append(id!.GetValue<int>()).Append('\n');
        }
        return (builder.ToString(), specials);
    }

    /// <summary>Inverse of GPT-2's bytes_to_unicode table.</summary>
    private static Dictionary<char, byte> ByteLevelDecoder()
    {
        var printable = new List<int>();
        for (var b = '!'; b <= '~'; b++) printable.Add(b);
        for (var b = 0xA1; b <= 0xAC; b++) printable.Add(b);
        for (var b = 0xAE; b <= 0xFF; b++) printable.Add(b);
        var map = new Dictionary<char, byte>();
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            if (printable.Contains(b)) map[(char)b] = (byte)b;
            else map[(char)(256 + extra++)] = (byte)b;
        }
        return map;
    }

    [GeneratedRegex(Pattern)]
    private static partial Regex Llama3Regex();
}
