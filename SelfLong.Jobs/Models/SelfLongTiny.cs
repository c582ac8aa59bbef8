namespace SelfLong.Jobs.Models;

/// <summary>
/// SelfLong-Tiny: a byte-level Llama small enough to train from scratch on a laptop CPU in
/// minutes (ARCHITECTURE.md, "tiny CPU demo"); width barely changes CPU speed at this size, since
/// per-operation overhead dominates.
/// </summary>
public static class SelfLongTiny
{
    public static LlamaConfig Config(int maxPositions = 256, double ropeTheta = 10_000, int hidden = 128, int layers = 4) => new()
    {
        VocabSize = ByteTokenizer.Size,
        HiddenSize = hidden,
        IntermediateSize = hidden * 8 / 3 / 8 * 8,
        NumHiddenLayers = layers,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = maxPositions,
        RopeTheta = ropeTheta,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = true,
        BosTokenId = ByteTokenizer.Instance.Chat.BeginOfText,
        EosTokenId = System.Text.Json.JsonSerializer.SerializeToElement(new[] { ByteTokenizer.Instance.Chat.EndOfText, ByteTokenizer.Instance.Chat.EndOfTurn }),
    };
}
