namespace SelfLong.Jobs.Models;

/// <summary>One chat turn: role is system, user or assistant.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// The Llama-3 chat layout, built from token ids so user text can never forge a marker:
/// &lt;|begin_of_text|&gt; then per turn &lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt;.
/// </summary>
public static class ChatFormat
{
    /// <summary>Ids and, per id, whether it belongs to an assistant reply (content and its eot).</summary>
    public static (List<int> Ids, List<bool> IsResponse) Encode(ITextTokenizer tokenizer, IEnumerable<ChatMessage> messages, bool addGenerationPrompt = false) =>
        Build(tokenizer, messages, addGenerationPrompt, (_, content, _) => tokenizer.Encode(content));

    /// <summary>
    /// As <see cref="Encode"/>, with characters [start, start + length) of turn <paramref name="turn"/>
    /// encoded apart from the text around them, so that where their ids lie is known.
    /// </summary>
    public static (List<int> Ids, List<bool> IsResponse, int PieceStart, int PieceCount) EncodeWithPiece(
        ITextTokenizer tokenizer, IReadOnlyList<ChatMessage> messages, int turn, int start, int length)
    {
        var (pieceStart, pieceCount) = (0, 0);
        var (ids, response) = Build(tokenizer, messages, false, (index, content, at) =>
        {
            if (index != turn) return tokenizer.Encode(content);
            var head = tokenizer.Encode(content[..start]);
            var piece = tokenizer.Encode(content.Substring(start, length));
            (pieceStart, pieceCount) = (at + head.Count, piece.Count);
            return [.. head, .. piece, .. tokenizer.Encode(content[(start + length)..])];
        });
        return (ids, response, pieceStart, pieceCount);
    }

    /// <param name="content">Ids of turn i's content, which starts at id <c>at</c>.</param>
    private static (List<int> Ids, List<bool> IsResponse) Build(ITextTokenizer tokenizer, IEnumerable<ChatMessage> messages, bool addGenerationPrompt,
        Func<int, string, int, IReadOnlyList<int>> content)
    {
        var chat = tokenizer.Chat;
        var ids = new List<int> { chat.BeginOfText };
        var response = new List<bool> { false };
        void Add(IEnumerable<int> part, bool isResponse)
        {
            foreach (var id in part) { ids.Add(id); response.Add(isResponse); }
        }
        var index = 0;
        foreach (var m in messages)
        {
            Add(Header(tokenizer, m.Role), false);
            var isAssistant = m.Role == "assistant";
            Add(content(index++, m.Content, ids.Count), isAssistant);
            Add([chat.EndOfTurn], isAssistant);
        }
        if (addGenerationPrompt) Add(Header(tokenizer, "assistant"), false);
        return (ids, response);
    }

    private static IEnumerable<int> Header(ITextTokenizer tokenizer, string role) =>
        [tokenizer.Chat.StartHeader, .. tokenizer.Encode(role), tokenizer.Chat.EndHeader, .. tokenizer.Encode("\n\n")];
}
