using SelfLong.Jobs.Models;

namespace SelfLong.Tests.Models;

/// <summary>
/// The Llama-3 chat layout id by id, written out here from its definition (begin-of-text, then per turn
/// start-header, role, end-header, two newlines, content, end-of-turn) with the byte tokenizer, whose
/// ids are the UTF-8 bytes and 256-260 for the markers.
/// </summary>
public sealed class ChatFormatTests
{
    private const int BeginOfText = 256, StartHeader = 258, EndHeader = 259, EndOfTurn = 260;

    private static int[] Bytes(string text) => [.. System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b)];

    private static int[] Header(string role) => [StartHeader, .. Bytes(role), EndHeader, '\n', '\n'];

    [Fact]
    public void Encode_SystemUserAssistant_EveryIdInOrder_OnlyTheReplyAndItsEndMarked()
    {
        var (ids, response) = ChatFormat.Encode(ByteTokenizer.Instance, [new("system", "S"), new("user", "Hi"), new("assistant", "Yo")]);

        int[] expected = [BeginOfText, .. Header("system"), 'S', EndOfTurn, .. Header("user"), 'H', 'i', EndOfTurn, .. Header("assistant"), 'Y', 'o', EndOfTurn];
        Assert.Equal(expected, ids);
        // Only the reply's two bytes and its end-of-turn: the last three ids.
        Assert.Equal([.. Enumerable.Repeat(false, expected.Length - 3), true, true, true], response);
    }

    [Fact]
    public void Encode_TwoReplies_BothMarked_TheUserTurnBetweenThemNot()
    {
        var (ids, response) = ChatFormat.Encode(ByteTokenizer.Instance,
            [new("user", "a"), new("assistant", "b"), new("user", "c"), new("assistant", "d")]);

        int[] expected = [BeginOfText, .. Header("user"), 'a', EndOfTurn, .. Header("assistant"), 'b', EndOfTurn,
            .. Header("user"), 'c', EndOfTurn, .. Header("assistant"), 'd', EndOfTurn];
        Assert.Equal(expected, ids);
        var marked = ids.Where((_, i) => response[i]).ToList();
        Assert.Equal(['b', EndOfTurn, 'd', EndOfTurn], marked);
    }

    [Fact]
    public void Encode_GenerationPrompt_EndsWithAnOpenAssistantHeaderNotMarked()
    {
        var (ids, response) = ChatFormat.Encode(ByteTokenizer.Instance, [new("user", "Q")], addGenerationPrompt: true);

        int[] expected = [BeginOfText, .. Header("user"), 'Q', EndOfTurn, .. Header("assistant")];
        Assert.Equal(expected, ids);
        Assert.All(response, r => Assert.False(r));
        Assert.Equal(ids.Count, response.Count);

        var (without, _) = ChatFormat.Encode(ByteTokenizer.Instance, [new("user", "Q")]);
        Assert.Equal(expected[..^Header("assistant").Length], without);
    }

    [Fact]
    public void EncodeWithPiece_CharactersOfTheUserTurn_SameIdsAsEncode_PieceWhereItsBytesAre()
    {
        IReadOnlyList<ChatMessage> messages = [new("system", "Sys"), new("user", "abcdefgh"), new("assistant", "ok")];

        var (ids, response, start, count) = ChatFormat.EncodeWithPiece(ByteTokenizer.Instance, messages, turn: 1, start: 2, length: 3);

        var (plain, plainResponse) = ChatFormat.Encode(ByteTokenizer.Instance, messages);
        Assert.Equal(plain, ids);
        Assert.Equal(plainResponse, response);
        // begin-of-text (1), the system turn (10 header + 3 + 1), the user header (8), then "ab".
        Assert.Equal(1 + 10 + 3 + 1 + 8 + 2, start);
        Assert.Equal(3, count);
        Assert.Equal(Bytes("cde"), ids.Skip(start).Take(count));
    }

    [Fact]
    public void EncodeWithPiece_PieceInTheReply_StartsAfterTheReplyHeader()
    {
        IReadOnlyList<ChatMessage> messages = [new("user", "q"), new("assistant", "xyz")];

        var (ids, response, start, count) = ChatFormat.EncodeWithPiece(ByteTokenizer.Instance, messages, turn: 1, start: 1, length: 2);

        Assert.Equal(1 + 8 + 1 + 1 + 13 + 1, start);
        Assert.Equal(2, count);
        Assert.Equal(Bytes("yz"), ids.Skip(start).Take(count));
        Assert.True(response[start] && response[start + 1]);
    }
}
