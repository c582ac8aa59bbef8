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
    public static (List<int> Ids, List<bool> IsResponse) Encode(ITextTokenizer tokenizer, IEnumerable<ChatMessage> messages, bool addGenerationPrompt = false)
    {
        var chat = tokenizer.Chat;
        var ids = new List<int> { chat.BeginOfText };
        var response = new List<bool> { false };
        void Add(IEnumerable<int> part, bool isResponse)
        {
            foreach (var id in part) { ids.Add(id); response.Add(isResponse); }
        }
        foreach (var m in messages)
        {
            Add(Header(tokenizer, m.Role), false);
            var isAssistant = m.Role == "assistant";
            Add(tokenizer.Encode(m.Content), isAssistant);
            Add([chat.EndOfTurn], isAssistant);
        }
        if (addGenerationPrompt) Add(Header(tokenizer, "assistant"), false);
        return (ids, response);
    }

    private static IEnumerable<int> Header(ITextTokenizer tokenizer, string role) =>
        [tokenizer.Chat.StartHeader, .. tokenizer.Encode(role), tokenizer.Chat.EndHeader, .. tokenizer.Encode("\n\n")];
}
