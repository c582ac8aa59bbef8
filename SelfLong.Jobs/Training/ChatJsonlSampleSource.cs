using System.IO.Compression;
using System.Text.Json;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training;

/// <summary>
/// A JSONL file (optionally .gz), one sample a line: either
/// <c>{"messages": [{"role": "system"|"user"|"assistant", "content": "..."}], "is_long": true}</c>
/// where the last assistant turn is the response, or <c>{"text": "..."}</c> (a corpus document,
/// trained as a long sample on all tokens). A chat sample too long for its stage loses text from
/// the middle of its longest user turn (<see cref="PromptSpan.LongestUserTurn"/>), except one whose
/// <c>"kind"</c> is <c>"long_output"</c> (a synthesis export's back-translation sample, whose user
/// turn is its instruction alone), which is skipped instead.
/// </summary>
/// <param name="path">The file.</param>
/// <param name="name">What messages call it (an upload's own name); the file's name by default.</param>
public sealed class ChatJsonlSampleSource(string path, string? name = null) : ITrainingSampleSource
{
    public string Name => name ?? Path.GetFileName(path);

    public async Task<IReadOnlyList<TrainingSample>> LoadAsync(CancellationToken ct)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Training data file {path} does not exist.", path);
        await using var file = File.OpenRead(path);
        Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        var samples = new List<TrainingSample>();
        var lineNumber = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            samples.Add(Parse(line, lineNumber));
        }
        if (samples.Count == 0) throw new InvalidDataException($"{Name} holds no samples.");
        return samples;
    }

    private TrainingSample Parse(string line, int lineNumber)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(line).RootElement; }
        catch (JsonException e) { throw new InvalidDataException($"{Name} line {lineNumber} is not JSON: {e.Message}"); }

        if (root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            return TrainingSample.PlainText(text.GetString()!);
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{Name} line {lineNumber} has neither \"messages\" nor \"text\".");

        if (messages.EnumerateArray().Any(m => m.ValueKind != JsonValueKind.Object
            || !m.TryGetProperty("role", out var r) || r.ValueKind != JsonValueKind.String
            || !m.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String))
            throw new InvalidDataException($"{Name} line {lineNumber}: every message needs a \"role\" and a \"content\" that are strings.");
        var turns = messages.EnumerateArray().Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();
        if (turns.Count == 0 || turns[^1].Role != "assistant")
            throw new InvalidDataException($"{Name} line {lineNumber}: the last message must be the assistant's response.");
        var unknown = turns.FirstOrDefault(t => t.Role is not ("system" or "user" or "assistant"));
        if (unknown is not null)
            throw new InvalidDataException($"{Name} line {lineNumber}: role '{unknown.Role}' is not system, user or assistant.");
        var isLong = root.TryGetProperty("is_long", out var flag) && flag.ValueKind == JsonValueKind.True;
        var longOutput = root.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String && kind.GetString() == "long_output";
        List<ChatMessage> prompt = turns[..^1];
        return new TrainingSample(prompt, turns[^1].Content, isLong) { Documents = longOutput ? null : PromptSpan.LongestUserTurn(prompt) };
    }
}
