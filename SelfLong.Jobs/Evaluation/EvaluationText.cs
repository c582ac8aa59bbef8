using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// The bundled text evaluation needs: public-domain prose for haystacks (Moby-Dick from the sample
/// corpus, embedded in the assembly), the WordNet adjective and noun lists for word keys, and SCOWL's
/// large English list for long common-words samples.
/// </summary>
public static partial class EvaluationText
{
    private static readonly Lazy<IReadOnlyList<string>> ProseSentences = new(() => SplitSentences(ReadProse()));
    private static readonly Lazy<IReadOnlyList<string>> AdjectiveList = new(() => ReadWords("wordnet-adjectives.txt"));
    private static readonly Lazy<IReadOnlyList<string>> NounList = new(() => ReadWords("wordnet-nouns.txt"));
    private static readonly Lazy<IReadOnlyList<string>> ScowlList = new(() => ReadWords("scowl-words.txt"));

    /// <summary>Name shown with results that used the bundled haystack.</summary>
    public const string BundledProseName = "Moby-Dick (bundled sample, public domain)";

    /// <summary>Moby-Dick as sentences, in book order, whitespace collapsed.</summary>
    public static IReadOnlyList<string> BundledSentences => ProseSentences.Value;

    public static IReadOnlyList<string> Adjectives => AdjectiveList.Value;

    public static IReadOnlyList<string> Nouns => NounList.Value;

    /// <summary>SCOWL's large English list less the WordNet words (Data/README.md): cwe's words past about 190k tokens.</summary>
    public static IReadOnlyList<string> MoreWords => ScowlList.Value;

    /// <summary>
    /// Splits prose at sentence ends (., ! or ? and optional closing quotes, then whitespace), so that
    /// needles go only between sentences.
    /// </summary>
    public static IReadOnlyList<string> SplitSentences(string text)
    {
        var collapsed = CollapseWhitespace(text);
        return SentenceEnd().Split(collapsed).Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
    }

    /// <summary>Every run of whitespace (newlines too) as one space, trimmed: prose as one line.</summary>
    public static string CollapseWhitespace(string text) => Whitespace().Replace(text, " ").Trim();

    /// <summary>The "text" of every line of a gzipped sample JSONL file (the bundled corpora's format).</summary>
    public static List<string> JsonlTexts(Stream gzipped)
    {
        using var gzip = new GZipStream(gzipped, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var texts = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            using var json = JsonDocument.Parse(line);
            texts.Add(json.RootElement.GetProperty("text").GetString() ?? "");
        }
        return texts;
    }

    private static string ReadProse()
    {
        using var stream = Open("moby-dick.jsonl.gz");
        return string.Join("\n\n", JsonlTexts(stream));
    }

    private static IReadOnlyList<string> ReadWords(string name)
    {
        using var reader = new StreamReader(Open(name));
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static Stream Open(string name) =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream($"SelfLong.Evaluation.{name}")
        ?? throw new InvalidOperationException($"Embedded resource {name} is missing from the build.");

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"(?<=[.!?][""'”’)]?)\s+(?=[""'“‘(]?[A-Z0-9])")]
    private static partial Regex SentenceEnd();
}
