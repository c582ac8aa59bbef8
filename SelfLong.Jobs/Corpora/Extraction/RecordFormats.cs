using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using Parquet;

namespace SelfLong.Jobs.Corpora.Extraction;

/// <summary>
/// Formats where each record is a document: JSON Lines, JSON, CSV, Parquet (the Hugging Face
/// datasets formats). The text and title fields are per corpus; <c>{"text": ...}</c> works by default.
/// A bad record is reported with its line or row and skipped; the others still come out.
/// </summary>
internal static class RecordFormats
{
    public static async IAsyncEnumerable<ExtractedDocument> JsonLinesAsync(Stream stream, string title, string location,
        ExtractionContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(stream, Utf8Text.CountingEncoding(out var fallback), detectEncodingFromByteOrderMarks: false, 1 << 16);
        var lineNumber = 0;
        var records = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            var replacedBefore = fallback.Count;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (line.Length > context.Options.MaxDocumentBytes)
            {
                context.Error($"{location}, line {lineNumber}", "The line is longer than the limit for one document; skipped.");
                continue;
            }
            JsonElement record;
            try
            {
                using var json = JsonDocument.Parse(line);
                record = json.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                context.Error($"{location}, line {lineNumber}", $"Line {lineNumber} is not valid JSON ({ex.Message}); skipped.");
                continue;
            }
            records++;
            var invalid = fallback.Count > replacedBefore;
            if (invalid) TextFormats.WarnInvalidUtf8(context, $"{location}, line {lineNumber}", fallback.Count - replacedBefore);
            if (FromRecord(record, title, $"{location}, line {lineNumber}", $"line {lineNumber}", context, invalid) is { } document)
                yield return document;
        }
        if (records == 0 && context.ErrorCount == 0) throw new ExtractionException("The file holds no JSON records.");
    }

    public static async IAsyncEnumerable<ExtractedDocument> JsonAsync(Stream stream, string title, string location,
        ExtractionContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var seekable = await DocumentExtractor.SeekableAsync(stream, context.Options.MaxFileBytes, ct);
        var first = FirstNonSpace(seekable);
        var buffered = new BufferedStream(seekable, 1 << 16);
        // An array streams element by element; otherwise one object, or several one after another
        // (Hugging Face's to_json writes JSON Lines into .json files).
        var records = first == '['
            ? JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(buffered, cancellationToken: ct)
            : JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(buffered, topLevelValues: true, cancellationToken: ct);
        await using var e = records.GetAsyncEnumerator(ct);
        var number = 0;
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync()) break;
            }
            catch (JsonException ex)
            {
                throw new ExtractionException($"The JSON is not valid after record {number} ({ex.Message}); the records before it were read.");
            }
            number++;
            if (FromRecord(e.Current, title, $"{location}, record {number}", $"record {number}", context, false) is { } document)
                yield return document;
        }
        if (number == 0) throw new ExtractionException("The file holds no JSON records.");
    }

    public static async IAsyncEnumerable<ExtractedDocument> CsvAsync(Stream stream, string title, string location,
        ExtractionContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(stream, Utf8Text.CountingEncoding(out var fallback), detectEncodingFromByteOrderMarks: false, 1 << 16);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            DetectDelimiter = true,
            MissingFieldFound = null,
            BadDataFound = args => context.Warn($"{location}, row {args.Context.Parser?.Row}", "A badly quoted field was read as it stands."),
        };
        using var csv = new CsvReader(reader, config);
        if (!await csv.ReadAsync()) throw new ExtractionException("The CSV file has no header row.");
        csv.ReadHeader();
        var header = csv.HeaderRecord ?? [];
        var textIndex = Array.FindIndex(header, h => string.Equals(h.Trim(), context.TextField, StringComparison.OrdinalIgnoreCase));
        if (textIndex < 0)
            throw new ExtractionException($"The CSV has no '{context.TextField}' column (columns: {string.Join(", ", header)}). Set the corpus's text field.");
        var titleIndex = Array.FindIndex(header, h => string.Equals(h.Trim(), context.TitleField, StringComparison.OrdinalIgnoreCase));
        var row = 1;
        while (await csv.ReadAsync())
        {
            ct.ThrowIfCancellationRequested();
            row++;
            var where = $"{location}, row {row}";
            var replacedBefore = fallback.Count;
            var text = DocumentExtractor.Normalize(csv.GetField(textIndex) ?? "");
            if (text.Length == 0)
            {
                context.Error(where, $"Row {row} has an empty '{context.TextField}' field; skipped.");
                continue;
            }
            var invalid = fallback.Count > replacedBefore;
            if (invalid) TextFormats.WarnInvalidUtf8(context, where, fallback.Count - replacedBefore);
            var rowTitle = titleIndex >= 0 ? csv.GetField(titleIndex)?.Trim() : null;
            yield return new ExtractedDocument(string.IsNullOrEmpty(rowTitle) ? $"{title} row {row}" : rowTitle, text, where, invalid);
        }
        if (row == 1) throw new ExtractionException("The CSV file has a header but no rows.");
    }

    public static async IAsyncEnumerable<ExtractedDocument> ParquetAsync(Stream stream, string title, string location,
        ExtractionContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var seekable = await DocumentExtractor.SeekableAsync(stream, context.Options.MaxFileBytes, ct);
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(seekable, cancellationToken: ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new ExtractionException($"The Parquet file could not be read ({ex.Message}).", ex);
        }
        await using var _ = reader;
        var fields = reader.Schema.DataFields;
        var textField = fields.FirstOrDefault(f => f.Name == context.TextField)
            ?? throw new ExtractionException(
                $"The Parquet file has no column '{context.TextField}' (columns: {string.Join(", ", fields.Select(f => f.Name))}). Set the corpus's text field.");
        var titleField = fields.FirstOrDefault(f => f.Name == context.TitleField);
        var row = 0;
        for (var group = 0; group < reader.RowGroupCount; group++)
        {
            string?[] texts, titles;
            try
            {
                using var rows = reader.OpenRowGroupReader(group);
                texts = new string?[rows.RowCount];
                await rows.ReadAsync(textField, texts.AsMemory()!, null, ct);
                titles = new string?[rows.RowCount];
                if (titleField is not null) await rows.ReadAsync(titleField, titles.AsMemory()!, null, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new ExtractionException($"Row group {group} of the Parquet file could not be read as text ({ex.Message}).", ex);
            }
            for (var i = 0; i < texts.Length; i++)
            {
                row++;
                var text = DocumentExtractor.Normalize(texts[i] ?? "");
                if (text.Length == 0)
                {
                    context.Error($"{location}, row {row}", $"Row {row} has no '{context.TextField}' text; skipped.");
                    continue;
                }
                var rowTitle = titles[i]?.Trim();
                yield return new ExtractedDocument(string.IsNullOrEmpty(rowTitle) ? $"{title} row {row}" : rowTitle, text, $"{location}, row {row}");
            }
        }
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

    private static int FirstNonSpace(Stream stream)
    {
        var position = stream.Position;
        int b;
        do b = stream.ReadByte(); while (b is ' ' or '\n' or '\r' or '\t' or 0xEF or 0xBB or 0xBF);
        stream.Position = position;
        return b;
    }
}
