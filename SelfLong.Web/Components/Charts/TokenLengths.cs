using System.Globalization;

namespace SelfLong.Web.Components.Charts;

/// <summary>
/// The one short form of a token length on every chart, table and heatmap: powers of 1024 as "k" and
/// "M" (RULER's 4k, 8k ... 128k; the length lists accept "4k" as 4096), other lengths in full, so a
/// label never rounds 1500 to "1k" or 1000 to "1k".
/// </summary>
public static class TokenLengths
{
    public static string Short(long tokens) => tokens switch
    {
        >= 1 << 20 when tokens % (1 << 20) == 0 => Invariant($"{tokens >> 20}M"),
        >= 1 << 10 when tokens % (1 << 10) == 0 => Invariant($"{tokens >> 10}k"),
        _ => tokens.ToString("N0", CultureInfo.InvariantCulture),
    };

    /// <summary>The unit a run's lengths are counted in: bytes for the byte-level tokenizer, else tokens.</summary>
    public static string Unit(string? tokenizer) => tokenizer is "byte" or "bytes" ? "bytes" : "tokens";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
