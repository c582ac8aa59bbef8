using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Unicode;

namespace SelfLong.Jobs.Corpora.Extraction;

/// <summary>
/// Formats where each record is a document: JSON Lines and JSON here, CSV and Parquet in
/// <see cref="TableFormats"/> (the Hugging Face datasets formats). The text and title fields are
/// per corpus; <c>{"text": ...}</c> works by default. A bad record is reported with its line or
/// row and skipped; the others still come out. A record over the document limit is read past,
/// never held whole.
/// </summary>
internal static class RecordFormats
{
    public static async IAsyncEnumerable<ExtractedDocument> JsonLinesAsync(Stream stream, string title, string location,
        ExtractionContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        var limit = context.Options.MaxDocumentBytes;
        var lines = new LineReader(stream, limit);
        var records = 0;
        while (await lines.ReadAsync(ct) is { } line)
        {
            var where = $"{location}, line {line.Number}";
            if (line.Bytes is not { } bytes)
            {
                context.Error(where, TooLarge($"Line {line.Number}", line.Length, limit));
                continue;
            }
            if (line.Number == 1 && bytes.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
            if (bytes.Span.Trim(" \t\f\v"u8).IsEmpty) continue;
            // Valid UTF-8 is parsed as it is; otherwise bad bytes become U+FFFD first, so the record is flagged, not refused.
            var replaced = Utf8.IsValid(bytes.Span) ? 0 : -1;
            ExtractedDocument? document;
            try
            {
                using var json = replaced == 0 ? JsonDocument.Parse(bytes) : JsonDocument.Parse(Decoded(bytes.Span, out replaced));
                records++;
                if (replaced > 0) TextFormats.WarnInvalidUtf8(context, where, replaced);
                document = FromRecord(json.RootElement, title, where, $"line {line.Number}", context, replaced > 0);
            }
            catch (JsonException ex)
            {
                context.Error(where, $"Line {line.Number} is not valid JSON ({ex.Message}); skipped.");
                continue;
            }
            if (document is not null) yield return document;
        }
        if (records == 0 && context.ErrorCount == 0) throw new ExtractionException("The file holds no JSON records.");
    }

    public static async IAsyncEnumerable<ExtractedDocument> JsonAsync(Stream stream, string title, string location,
        ExtractionContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        var limit = context.Options.MaxDocumentBytes;
        var reader = new JsonRecordReader(stream, limit);
        while (await reader.ReadAsync(ct) is { } record)
        {
            var where = $"{location}, record {record.Number}";
            if (record.Bytes is not { } bytes)
            {
                context.Error(where, TooLarge($"Record {record.Number}", record.Length, limit));
                continue;
            }
            ExtractedDocument? document;
            try
            {
                using var json = JsonDocument.Parse(bytes);
                document = FromRecord(json.RootElement, title, where, $"record {record.Number}", context, false);
            }
            catch (JsonException ex)
            {
                throw new ExtractionException($"The JSON is not valid after record {record.Number - 1} ({ex.Message}); the records before it were read.");
            }
            if (document is not null) yield return document;
        }
        if (reader.Count == 0) throw new ExtractionException("The file holds no JSON records.");
    }

    /// <summary>The message for a record over the document limit, named by its line, record or row.</summary>
    internal static string TooLarge(string what, long length, long limit) =>
        $"{what} is {ByteSize.Format(length)}, larger than the limit of {ByteSize.Format(limit)} for one document; skipped.";

    private static string Decoded(ReadOnlySpan<byte> bytes, out int replaced)
    {
        var (text, count) = Utf8Text.Decode(bytes);
        replaced = count;
        return text;
    }

    private static ExtractedDocument? FromRecord(JsonElement record, string fileTitle, string where, string what,
        ExtractionContext context, bool invalidUtf8)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            context.Error(where, $"The {what} is a JSON {record.ValueKind.ToString().ToLowerInvariant()}, not an object with a '{context.TextField}' field; skipped.");
            return null;
        }
        if (!record.TryGetProperty(context.TextField, out var textValue) || textValue.ValueKind != JsonValueKind.String)
        {
            context.Error(where, $"The {what} has no '{context.TextField}' string field; skipped. Set the corpus's text field if the text is elsewhere.");
            return null;
        }
        var text = DocumentExtractor.Normalize(textValue.GetString()!);
        if (text.Length == 0)
        {
            context.Error(where, $"The {what} has an empty '{context.TextField}' field; skipped.");
            return null;
        }
        var title = record.TryGetProperty(context.TitleField, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()!.Trim() : "";
        return new ExtractedDocument(title.Length > 0 ? title : $"{fileTitle} {what}", text, where, invalidUtf8);
    }
}
