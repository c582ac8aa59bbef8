using static TorchSharp.torch;

namespace SelfLong.Jobs.Models;

/// <summary>
/// A checkpoint folder loaded for inference: the model on CUDA when present (else CPU) and its
/// tokenizer (the byte tokenizer when the folder carries its marker, else Llama-3's). Calls are
/// serialized, so one instance can be shared.
/// </summary>
public sealed class LocalCheckpoint : IDisposable
{
    private readonly LlamaForCausalLM model;
    private readonly object gate = new();

    private readonly ITextTokenizer? tokenizer;

    private LocalCheckpoint(string dir, LlamaForCausalLM model, ITextTokenizer? tokenizer)
    {
        Directory = dir;
        this.model = model;
        this.tokenizer = tokenizer;
    }

    public string Directory { get; }

    public ITextTokenizer Tokenizer => tokenizer
        ?? throw new InvalidOperationException($"{Directory} was loaded without its tokenizer: only token ids can be scored.");

    public LlamaConfig Config => model.Config;

    public int MaxPositionEmbeddings => model.Config.MaxPositionEmbeddings;

    public double RopeTheta => model.Config.RopeTheta;

    /// <summary>Loads for inference: bf16 weights on CUDA, float32 on the CPU. Without <paramref name="withTokenizer"/>, token ids only.</summary>
    public static LocalCheckpoint Load(string dir, Device? device = null, bool withTokenizer = true)
    {
        var tokenizer = withTokenizer ? LoadTokenizer(dir) : null;
        device ??= TorchDevices.Preferred();
        var model = CheckpointFolder.Load(dir, device, TorchDevices.IsCuda(device) ? ScalarType.BFloat16 : ScalarType.Float32);
        model.eval();
        return new LocalCheckpoint(dir, model, tokenizer);
    }

    /// <summary>
    /// The folder's tokenizer, read once per process and again when the folder's files change
    /// (<see cref="CheckpointFolder.Fingerprint"/>): a run validates, loads drills and trains with it,
    /// and synthesis resolves it for every sample. A folder that fails to load is not remembered.
    /// </summary>
    public static ITextTokenizer LoadTokenizer(string dir)
    {
        var key = $"{Path.GetFullPath(dir)}\n{CheckpointFolder.Fingerprint(dir)}";
        if (Tokenizers.TryGetValue(key, out var known)) return known;
        ITextTokenizer loaded = File.Exists(Path.Combine(dir, ByteTokenizer.MarkerFile)) ? ByteTokenizer.Instance
            : Llama3Tokenizer.Exists(dir) ? Llama3Tokenizer.Load(dir)
            : throw new FileNotFoundException($"{dir} has no tokenizer (tokenizer.json, tokenizer.model or {ByteTokenizer.MarkerFile}).");
        return Tokenizers.GetOrAdd(key, loaded);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ITextTokenizer> Tokenizers = new();

    public int CountTokens(string text) => Tokenizer.Encode(text).Count;

    public IReadOnlyList<int> Encode(string text) => Tokenizer.Encode(text);

    public string Decode(IReadOnlyList<int> ids) => Tokenizer.Decode(ids);

    /// <summary>
    /// Continues raw text (begin-of-text, then the prompt's tokens); stops at an end marker. Prompts
    /// past max_position_embeddings run as they are (needle tests probe beyond the trained length).
    /// </summary>
    public string Generate(string prompt, int maxNewTokens, double temperature = 0, int? seed = null, CancellationToken ct = default)
    {
        IReadOnlyList<int> ids = [Tokenizer.Chat.BeginOfText, .. Tokenizer.Encode(prompt)];
        return GenerateFrom(ids, maxNewTokens, temperature, seed, ct).Text;
    }

    /// <summary>
    /// Answers a conversation in the Llama-3 chat layout. An <paramref name="assistantPrefix"/> is
    /// placed after the generation prompt, as RULER places its answer prefix.
    /// </summary>
    public string GenerateChat(IReadOnlyList<ChatMessage> messages, int maxNewTokens, double temperature = 0, int? seed = null,
        CancellationToken ct = default, string assistantPrefix = "") =>
        GenerateChatWithUsage(messages, maxNewTokens, temperature, seed, ct, assistantPrefix).Text;

    /// <summary><see cref="GenerateChat"/> with the token counts a chat API reports as usage.</summary>
    public Generation GenerateChatWithUsage(IReadOnlyList<ChatMessage> messages, int maxNewTokens, double temperature = 0, int? seed = null,
        CancellationToken ct = default, string assistantPrefix = "")
    {
        var (ids, _) = ChatFormat.Encode(Tokenizer, messages, addGenerationPrompt: true);
        if (assistantPrefix.Length > 0) ids.AddRange(Tokenizer.Encode(assistantPrefix));
        return GenerateFrom(ids, maxNewTokens, temperature, seed, ct);
    }

    /// <summary>Tokens the chat layout adds around one user turn (headers, markers, generation prompt).</summary>
    public int ChatOverheadTokens => ChatOverhead(Tokenizer);

    /// <summary>The same for a checkpoint's tokenizer alone (sizing a run before its weights are loaded).</summary>
    public static int ChatOverhead(ITextTokenizer tokenizer) =>
        ChatFormat.Encode(tokenizer, [new ChatMessage("user", "")], addGenerationPrompt: true).Ids.Count;

    private Generation GenerateFrom(IReadOnlyList<int> ids, int maxNewTokens, double temperature, int? seed, CancellationToken ct)
    {
        lock (gate)
        {
            var output = TextGenerator.Generate(model, ids, maxNewTokens, Tokenizer.Chat.Stops, temperature, seed, ct);
            return new Generation(Tokenizer.Decode(output), ids.Count, output.Count);
        }
    }

    /// <summary>
    /// Negative log-likelihood (nats) of ids[i] given ids[..i], for i = 1..n-1: n-1 values, in one
    /// causal forward. Inputs longer than max_position_embeddings are allowed on purpose: scoring a
    /// checkpoint past its training length is how perplexity-versus-length shows extrapolation.
    /// </summary>
    public double[] TokenNlls(IReadOnlyList<int> ids)
    {
        if (ids.Count < 2) throw new ArgumentException("Perplexity needs at least two tokens.", nameof(ids));
        lock (gate) return Perplexity.TokenNlls(model, ids);
    }

    public void Dispose() => model.Dispose();
}

/// <summary>Generated text with the prompt's and the output's token counts.</summary>
public sealed record Generation(string Text, int PromptTokens, int CompletionTokens);
