using System.Globalization;

namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// Lists of lengths and depths as users type them, in the form and on the command line alike:
/// whole numbers separated by commas, spaces or semicolons, "k" meaning 1024 ("4k, 8k" or "256 512").
/// </summary>
public static class NumberList
{
    public static IReadOnlyList<int> Parse(string text) =>
        [.. text.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries).Select(One)];

    private static int One(string part)
    {
        var kilo = part.EndsWith('k') || part.EndsWith('K');
        return int.TryParse(kilo ? part[..^1] : part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= int.MaxValue / 1024
            ? (kilo ? n * 1024 : n)
            : throw new ArgumentException($"'{part}' is not a whole number (write 4096 or 4k).");
    }
}
