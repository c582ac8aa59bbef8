using System.Globalization;

namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// Lengths and depths as users type them, in the form and on the command line alike: whole numbers
/// separated by commas, spaces or semicolons, "k" meaning 1024 and "M" 1024 x 1024 ("4k, 8k",
/// "256 512", "1M").
/// </summary>
public static class NumberList
{
    public static IReadOnlyList<int> Parse(string text) =>
        [.. text.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries).Select(One)];

    /// <summary>One length: 4096, 4k or 1M.</summary>
    public static int One(string part)
    {
        var scale = part.Length == 0 ? 1 : char.ToLowerInvariant(part[^1]) switch { 'k' => 1024, 'm' => 1024 * 1024, _ => 1 };
        var digits = scale == 1 ? part : part[..^1];
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= int.MaxValue / scale
            ? n * scale
            : throw new ArgumentException($"'{part}' is not a whole number (write 4096, 4k or 1M).");
    }

    /// <summary>A command-line option whose value is one length (k and M suffixes allowed).</summary>
    public static System.CommandLine.Option<int> LengthOption(string name, string description, int defaultValue) => new(name)
    {
        Description = description + " (k and M suffixes allowed)",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parsed(result) ?? defaultValue,
    };

    /// <summary>As <see cref="LengthOption"/>, with no default.</summary>
    public static System.CommandLine.Option<int?> OptionalLengthOption(string name, string description) => new(name)
    {
        Description = description + " (k and M suffixes allowed)",
        CustomParser = Parsed,
    };

    private static int? Parsed(System.CommandLine.Parsing.ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return null;
        try
        {
            return One(result.Tokens[0].Value);
        }
        catch (ArgumentException e)
        {
            result.AddError(e.Message);
            return null;
        }
    }
}
