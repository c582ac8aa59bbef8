using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using Parquet;
using static SelfLong.Jobs.Corpora.Extraction.RecordFormats;

namespace SelfLong.Jobs.Corpora.Extraction;

/// <summary>
/// Tables where each row is a document: CSV and Parquet. Like <see cref="RecordFormats"/>, a row
/// over the document limit is reported by its number and skipped, never held beyond the limit.
/// </summary>
internal static class TableFormats
{
    public static async IAsyncEnumerable<ExtractedDocument> CsvAsync(Stream stream, string title, string location,
        ExtractionContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        var limit = context.Options.MaxDocumentBytes;
        using var reader = new StreamReader(stream, Utf8Text.CountingEncoding(out var fallback), detectEncodingFromByteOrderMarks: false, 1 << 16);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            DetectDelimiter = true,
            MissingFieldFound = null,
            BadDataFound = args => context.Warn($"{location}, row {args.Context.Parser?.Row}", "A badly quoted field was read as it stands."),
            // The parser stops a field at the limit (in characters, at most as many as its UTF-8 bytes)
            // instead of growing its buffer to hold it whole.
            MaxFieldSize = limit,
        };
        using var csv = new CsvReader(reader, config);
        if (!await ReadRowAsync(csv, location, 0, limit)) throw new ExtractionException("The CSV file has no header row.");
        csv.ReadHeader();
        var header = csv.HeaderRecord ?? [];
        var textIndex = Array.FindIndex(header, h => string.Equals(h.Trim(), context.TextField, StringComparison.OrdinalIgnoreCase));
        if (textIndex < 0)
            throw new ExtractionException($"The CSV has no '{context.TextField}' column (columns: {string.Join(", ", header)}). Set the corpus's text field.");
        var titleIndex = Array.FindIndex(header, h => string.Equals(h.Trim(), context.TitleField, StringComparison.OrdinalIgnoreCase));
        var row = 1;
        while (await ReadRowAsync(csv, location, row, limit))
        {
            ct.ThrowIfCancellationRequested();
            row++;
            var where = $"{location}, row {row}";
            var replacedBefore = fallback.Count;
            var field = csv.GetField(textIndex) ?? "";
            if (Encoding.UTF8.GetByteCount(field) is var bytes && bytes > limit)
            {
                context.Error(where, TooLarge($"Row {row}", bytes, limit));
                continue;
            }
            var text = DocumentExtractor.Normalize(field);
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

    /// <summary>The next row; a field over the limit ends the file here (the parser cannot step past it).</summary>
    private static async Task<bool> ReadRowAsync(CsvReader csv, string location, int rowsRead, long limit)
    {
        try
        {
            return await csv.ReadAsync();
        }
        catch (MaxFieldSizeException)
        {
            var before = rowsRead <= 1 ? "" : $", the {rowsRead - 1} row(s) before it were read";
            throw new ExtractionException($"Row {rowsRead + 1} ({location}) has a field longer than the limit of {ByteSize.Format(limit)} " +
                $"for one document; reading stopped there{before}.");
        }
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
        var limit = context.Options.MaxDocumentBytes;
        var row = 0;
        for (var group = 0; group < reader.RowGroupCount; group++)
        {
            string?[] texts = [], titles = [];
            string? refused = null;
            long count;
            try
            {
                using var rows = reader.OpenRowGroupReader(group);
                count = rows.RowCount;
                // A row group's column is decoded whole: its size is known before, from the metadata.
                var textBytes = rows.GetMetadata(textField)?.MetaData?.TotalUncompressedSize ?? 0;
                if (count == 1 && textBytes > limit) refused = TooLarge($"Row {row + 1}", textBytes, limit);
                else if (textBytes > Math.Max(limit, context.Options.MaxRowGroupBytes))
                {
                    refused = $"Row group {group} holds {ByteSize.Format(textBytes)} of '{context.TextField}' text, more than the " +
                        $"{ByteSize.Format(context.Options.MaxRowGroupBytes)} read at once; its {count} row(s) were skipped. Write the file with smaller row groups.";
                }
                else
                {
                    texts = new string?[count];
                    await rows.ReadAsync(textField, texts.AsMemory()!, null, ct);
                    titles = new string?[count];
                    if (titleField is not null) await rows.ReadAsync(titleField, titles.AsMemory()!, null, ct);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new ExtractionException($"Row group {group} of the Parquet file could not be read as text ({ex.Message}).", ex);
            }
            if (refused is not null)
            {
                context.Error(count == 1 ? $"{location}, row {row + 1}" : $"{location}, rows {row + 1}-{row + count}", refused);
                row += (int)count;
                continue;
            }
            for (var i = 0; i < texts.Length; i++)
            {
                ct.ThrowIfCancellationRequested();
                row++;
                var where = $"{location}, row {row}";
                if (Encoding.UTF8.GetByteCount(texts[i] ?? "") is var bytes && bytes > limit)
                {
                    context.Error(where, TooLarge($"Row {row}", bytes, limit));
                    continue;
                }
                var text = DocumentExtractor.Normalize(texts[i] ?? "");
                if (text.Length == 0)
                {
                    context.Error(where, $"Row {row} has no '{context.TextField}' text; skipped.");
                    continue;
                }
                var rowTitle = titles[i]?.Trim();
                yield return new ExtractedDocument(string.IsNullOrEmpty(rowTitle) ? $"{title} row {row}" : rowTitle, text, where);
            }
        }
    }
}
