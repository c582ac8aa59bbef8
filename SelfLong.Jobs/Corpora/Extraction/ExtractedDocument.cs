using SelfLong.Data.Corpora;

namespace SelfLong.Jobs.Corpora.Extraction;

/// <summary>Text taken out of a file or a record, before chunking.</summary>
public sealed record ExtractedDocument(string Title, string Text, string Location, bool HadInvalidUtf8 = false);

/// <summary>A problem that ends the extraction of one file or archive entry; the message is for the user.</summary>
public class ExtractionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The whole file expanded past its budget: stops the file, not just the entry.</summary>
public sealed class ExpansionBudgetException(string message) : ExtractionException(message);

/// <summary>Settings and the problem log for one file's extraction.</summary>
public sealed class ExtractionContext(CorporaOptions options, string textField, string titleField)
{
    /// <summary>
    /// Problems kept in memory per file; more are counted only. A file of a million bad lines would
    /// otherwise hold a million messages (the run stores the first 500 of them anyway).
    /// </summary>
    public const int IssuesKept = 1000;

    private long expandedBytes;

    public CorporaOptions Options { get; } = options;
    public string TextField { get; } = textField;
    public string TitleField { get; } = titleField;
    public List<(IngestionIssueSeverity Severity, string Location, string Message)> Issues { get; } = [];

    public void Warn(string location, string message) => Keep((IngestionIssueSeverity.Warning, location, message));

    public void Error(string location, string message)
    {
        ErrorCount++;
        Keep((IngestionIssueSeverity.Error, location, message));
    }

    /// <summary>Every error, kept or only counted.</summary>
    public int ErrorCount { get; private set; }

    private void Keep((IngestionIssueSeverity, string, string) issue)
    {
        if (Issues.Count < IssuesKept) Issues.Add(issue);
    }

    /// <summary>Counts bytes taken out of archives against <see cref="CorporaOptions.MaxExpandedBytes"/>.</summary>
    public void AddExpanded(long bytes)
    {
        expandedBytes += bytes;
        if (expandedBytes > Options.MaxExpandedBytes)
            throw new ExpansionBudgetException(
                $"The archive expands to more than {ByteSize.Format(Options.MaxExpandedBytes)} (the limit; a zip bomb?). Stopped reading it.");
    }
}
