using System.Text.Json;

namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>One question: its references, its gold documents, and same-source documents used first as distractors.</summary>
public sealed record QaQuestion(string Query, IReadOnlyList<string> Outputs, IReadOnlyList<int> Gold, IReadOnlyList<int> More);

/// <summary>
/// A QA data set in RULER's reading (scripts/data/synthetic/qa.py): the distinct documents, sorted,
/// and the questions that point into them. Parsed from the published JSON files the user uploads.
/// </summary>
public sealed class QaDataset
{
    private readonly int[] costs;

    public QaDataset(QaDatasetKind kind, IReadOnlyList<string> documents, IReadOnlyList<QaQuestion> questions)
    {
        Kind = kind;
        Documents = documents;
        Questions = questions;
        costs = new int[documents.Count];
    }

    public QaDatasetKind Kind { get; }
    public IReadOnlyList<string> Documents { get; }
    public IReadOnlyList<QaQuestion> Questions { get; }

    /// <summary>Token cost of a document, cached (0 means not yet counted; a real cost is stored plus one).</summary>
    internal int Cost(int document, Func<string, int> count)
    {
        var cached = Volatile.Read(ref costs[document]);
        if (cached > 0) return cached - 1;
        var cost = count(Documents[document]);
        Volatile.Write(ref costs[document], cost + 1);
        return cost;
    }

    private double frame = double.NaN;

    /// <summary>
    /// What one document adds besides its own tokens ("Document i:\n" and the blank line, and any
    /// merge at its edges), measured once on the first documents joined as a prompt joins them.
    /// Measured the same way whichever sample asks first, so generation stays a pure function of its seed.
    /// </summary>
    internal double Frame(Func<string, int> count, double fallback)
    {
        var known = Volatile.Read(ref frame);
        if (!double.IsNaN(known)) return known;
        var n = Math.Min(Documents.Count, 64);
        if (n == 0) return fallback;
        var joined = string.Join("\n\n", Enumerable.Range(0, n).Select(i => $"Document {i + 1}:\n{Documents[i]}"));
        var measured = Math.Max(1, (count(joined) - Enumerable.Range(0, n).Sum(i => (double)Cost(i, count))) / n);
        Volatile.Write(ref frame, measured);
        return measured;
    }

    public static QaDataset Parse(QaDatasetKind kind, Stream json)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        return kind == QaDatasetKind.Squad ? ParseSquad(document.RootElement) : ParseHotpotQa(document.RootElement);
    }

    /// <summary>SQuAD v2 dev: answerable questions only; the other paragraphs of the same article are the first distractors.</summary>
    public static QaDataset ParseSquad(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data))
            throw new FormatException("This is not a SQuAD v2 file: expected an object with a \"data\" array of articles.");
        var articles = data.EnumerateArray().Select(a => a.GetProperty("paragraphs").EnumerateArray().ToList()).ToList();
        var documents = articles.SelectMany(p => p).Select(p => p.GetProperty("context").GetString() ?? "")
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var ids = documents.Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i);
        var questions = new List<QaQuestion>();
        foreach (var paragraphs in articles)
        {
            var more = paragraphs.Select(p => ids[p.GetProperty("context").GetString() ?? ""]).ToList();
            foreach (var paragraph in paragraphs)
            {
                var id = ids[paragraph.GetProperty("context").GetString() ?? ""];
                foreach (var qa in paragraph.GetProperty("qas").EnumerateArray())
                {
                    if (qa.TryGetProperty("is_impossible", out var impossible) && impossible.GetBoolean()) continue;
                    var answers = qa.GetProperty("answers").EnumerateArray().Select(a => a.GetProperty("text").GetString() ?? "").ToList();
                    if (answers.Count == 0) continue;
                    questions.Add(new QaQuestion(qa.GetProperty("question").GetString() ?? "", answers, [id], more.Where(m => m != id).ToList()));
                }
            }
        }
        return new QaDataset(QaDatasetKind.Squad, documents, questions);
    }

    /// <summary>HotpotQA dev (distractor setting): each question's ten paragraphs, "title\ntext".</summary>
    public static QaDataset ParseHotpotQa(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array)
            throw new FormatException("This is not a HotpotQA file: expected an array of questions with \"question\", \"answer\" and \"context\".");
        static string Paragraph(JsonElement p) =>
            $"{p[0].GetString()}\n{string.Concat(p[1].EnumerateArray().Select(s => s.GetString()))}";
        var items = root.EnumerateArray().ToList();
        var documents = items.SelectMany(q => q.GetProperty("context").EnumerateArray().Select(Paragraph))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var ids = documents.Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i);
        var questions = items.Select(q => new QaQuestion(
            q.GetProperty("question").GetString() ?? "",
            [q.GetProperty("answer").GetString() ?? ""],
            q.GetProperty("context").EnumerateArray().Select(p => ids[Paragraph(p)]).ToList(),
            [])).ToList();
        return new QaDataset(QaDatasetKind.HotpotQa, documents, questions);
    }
}
