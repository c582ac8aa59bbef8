using System.Runtime.CompilerServices;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace SelfLong.Jobs.Corpora.Extraction;

/// <summary>Formats where a file is one document: plain text and Markdown, HTML, PDF.</summary>
internal static class TextFormats
{
    public static async IAsyncEnumerable<ExtractedDocument> PlainAsync(Stream stream, string title, string location,
        ExtractionContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        var bytes = await DocumentExtractor.ReadAllAsync(stream, context.Options.MaxDocumentBytes, "The file", ct);
        var (text, replaced) = Utf8Text.Decode(bytes);
        text = DocumentExtractor.Normalize(text);
        if (text.Length == 0) throw new ExtractionException("The file holds only blank space.");
        if (replaced > 0) WarnInvalidUtf8(context, location, replaced);
        yield return new ExtractedDocument(title, text, location, replaced > 0);
    }

    public static async IAsyncEnumerable<ExtractedDocument> HtmlAsync(Stream stream, string title, string location,
        ExtractionContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        var bytes = await DocumentExtractor.ReadAllAsync(stream, context.Options.MaxDocumentBytes, "The file", ct);
        var (html, replaced) = Utf8Text.Decode(bytes);
        if (replaced > 0) WarnInvalidUtf8(context, location, replaced);
        var document = await new HtmlParser().ParseDocumentAsync(html, ct);
        // Script and style bodies are code, not text; they never reach the corpus.
        var dropped = document.QuerySelectorAll("script, style, noscript, template, iframe, object, svg").ToList();
        if (dropped.Any(e => e.LocalName == "script"))
            context.Warn(location, $"Dropped {dropped.Count(e => e.LocalName == "script")} script element(s); only the page text was kept.");
        foreach (var element in dropped) element.Remove();
        var text = new StringBuilder();
        AppendText(document.Body ?? (INode)document.DocumentElement, text);
        var clean = TidyLines(text.ToString());
        if (clean.Length == 0) throw new ExtractionException("The page has no text once scripts, styles and markup are removed.");
        var pageTitle = document.Title?.Trim();
        yield return new ExtractedDocument(string.IsNullOrEmpty(pageTitle) ? title : pageTitle, clean, location, replaced > 0);
    }

    public static async IAsyncEnumerable<ExtractedDocument> PdfAsync(Stream stream, string title, string location,
        ExtractionContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var seekable = await DocumentExtractor.SeekableAsync(stream, context.Options.MaxFileBytes, ct);
        var pages = new List<string>();
        long chars = 0;
        try
        {
            using var pdf = PdfDocument.Open(seekable);
            foreach (var page in pdf.GetPages())
            {
                ct.ThrowIfCancellationRequested();
                var text = DocumentExtractor.Normalize(ContentOrderTextExtractor.GetText(page));
                if (text.Length > 0) pages.Add(text);
                // Characters, at most as many as the UTF-8 bytes: stops early on a PDF whose text is a document too large.
                chars += text.Length;
                if (chars > context.Options.MaxDocumentBytes)
                {
                    throw new ExtractionException($"The PDF's text passes the limit of {ByteSize.Format(context.Options.MaxDocumentBytes)} " +
                        $"for one document at page {page.Number}; split the PDF.");
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ExtractionException)
        {
            throw new ExtractionException($"The PDF could not be read ({ex.Message}). Is it a complete, unencrypted PDF?", ex);
        }
        if (pages.Count == 0) throw new ExtractionException("The PDF has no extractable text (a scan without a text layer?).");
        // Pages are kept apart by a blank line so the chunker sees a paragraph break.
        yield return new ExtractedDocument(title, string.Join("\n\n", pages), location);
    }

    private static readonly HashSet<string> Blocks =
    [
        "p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "blockquote", "pre", "ul", "ol", "li",
        "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "dl", "dt", "dd", "figure", "figcaption", "hr", "address", "form",
    ];

    private static void AppendText(INode node, StringBuilder text)
    {
        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case IText t:
                    text.Append(t.Data);
                    break;
                case IElement { LocalName: "br" }:
                    text.Append('\n');
                    break;
                case IElement e when Blocks.Contains(e.LocalName):
                    text.Append("\n\n");
                    AppendText(e, text);
                    text.Append("\n\n");
                    break;
                case IElement { LocalName: "td" or "th" } e:
                    AppendText(e, text);
                    text.Append('\t');
                    break;
                case IElement e:
                    AppendText(e, text);
                    break;
            }
        }
    }

    /// <summary>Runs of spaces become one; at most one blank line between paragraphs.</summary>
    private static string TidyLines(string text)
    {
        var lines = text.Replace("\r", "").Split('\n')
            .Select(l => string.Join(' ', l.Split([' ', '\t', '\u00a0'], StringSplitOptions.RemoveEmptyEntries)));
        var result = new StringBuilder();
        var blank = 0;
        foreach (var line in lines)
        {
            if (line.Length == 0) { blank++; continue; }
            if (result.Length > 0) result.Append(blank > 0 ? "\n\n" : "\n");
            result.Append(line);
            blank = 0;
        }
        return result.ToString();
    }

    internal static void WarnInvalidUtf8(ExtractionContext context, string location, int replaced) =>
        context.Warn(location, $"Invalid UTF-8: {replaced} byte sequence(s) replaced with U+FFFD. Save the file as UTF-8 for exact text.");
}
