using System.Text.Json.Nodes;
using SelfLong.Jobs.Models;

namespace SelfLong.Tests.Models;

public sealed class TokenizerTests
{
    [Fact]
    public void ByteTokenizer_Utf8Text_RoundTrips()
    {
        var text = "Ahab — the whale! 白鯨";
        var ids = ByteTokenizer.Instance.Encode(text);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(text), ids.Count);
        Assert.Equal(text, ByteTokenizer.Instance.Decode(ids));
    }

    [Fact]
    public void ChatFormatEncode_MarksOnlyAssistantContentAsResponse()
    {
        var tokenizer = ByteTokenizer.Instance;
        var (ids, response) = ChatFormat.Encode(tokenizer, [new("user", "Hi"), new("assistant", "Yo")]);
        var answer = ids.Where((_, i) => response[i]).ToList();
        Assert.Equal([(int)'Y', (int)'o', tokenizer.Chat.EndOfTurn], answer);
        Assert.Equal(tokenizer.Chat.BeginOfText, ids[0]);
        Assert.Equal(ids.Count, response.Count);
    }

    [Fact]
    public void Llama3TokenizerLoad_ByteLevelTokenizerJson_MergesAndKeepsSpecials()
    {
        var dir = Directory.CreateTempSubdirectory("selflong-tok-").FullName;
        try
        {
            // 256 byte tokens in GPT-2's printable mapping, one merge ("he"), then the chat specials.
            var vocab = new JsonObject();
            var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 12)).Concat(Enumerable.Range(0xAE, 0x100 - 0xAE)).ToHashSet();
            var extra = 0;
            for (var b = 0; b < 256; b++) vocab[((char)(printable.Contains(b) ? b : 256 + extra++)).ToString()] = b;
            vocab["he"] = 256;
            string[] specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];
            var added = new JsonArray([.. specials.Select((s, i) => (JsonNode)new JsonObject { ["id"] = 257 + i, ["content"] = s, ["special"] = true })]);
            var json = new JsonObject { ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab }, ["added_tokens"] = added };
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());

            var tokenizer = Llama3Tokenizer.Load(dir);
            Assert.Equal([256, 256, 32, 33], tokenizer.Encode("hehe !"));
            Assert.Equal("hehe !", tokenizer.Decode(tokenizer.Encode("hehe !")));
            Assert.Equal(261, tokenizer.Chat.EndOfTurn);
            Assert.Equal(262, tokenizer.VocabSize);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Llama3TokenizerLoad_TiktokenModelWithConfigSpecials_EncodesAndNamesEndOfTurn()
    {
        var dir = Directory.CreateTempSubdirectory("selflong-tik-").FullName;
        try
        {
            // tiktoken format: base64 of the token's bytes, then its rank.
            var lines = Enumerable.Range(0, 256).Select(b => $"{Convert.ToBase64String([(byte)b])} {b}")
                .Append($"{Convert.ToBase64String("he"u8.ToArray())} 256");
            File.WriteAllLines(Path.Combine(dir, "tokenizer.model"), lines);
            string[] specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];
            var decoder = new JsonObject();
            for (var i = 0; i < specials.Length; i++) decoder[(257 + i).ToString()] = new JsonObject { ["content"] = specials[i], ["special"] = true };
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), new JsonObject { ["added_tokens_decoder"] = decoder }.ToJsonString());

            var tokenizer = Llama3Tokenizer.Load(dir);
            Assert.Equal([256, 32, 256], tokenizer.Encode("he he"));
            Assert.Equal(261, tokenizer.Chat.EndOfTurn);
            Assert.Equal("he he", tokenizer.Decode([256, 32, 256]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
