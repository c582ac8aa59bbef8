namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>
/// RULER's QA tasks (scripts/data/synthetic/qa.py): the gold document(s) mixed with distractors
/// from the same data set, shuffled, each formatted "Document {i}:\n{text}", then the question.
/// </summary>
internal sealed class QaGenerator(RulerResources resources)
{
    public const string Template =
        "Answer the question based on the given documents. Only give me the answer and do not output any other words.\n\n" +
        "The following are given documents.\n\n{context}\n\n" +
        "Answer the question based on the given documents. Only give me the answer and do not output any other words.\n\nQuestion: {query}";

    public const string AnswerPrefix = "Answer:";

    /// <summary>About what "Document {i}:\n" and the blank line between documents cost.</summary>
    private const int DocumentFrame = 6;

    public RulerSample Generate(RulerTask task, int length, int budget, int index, Random random)
    {
        var dataset = resources.Dataset(task.Qa!.Value)
            ?? throw new InvalidOperationException($"{task.Name} needs the {(task.Qa == QaDatasetKind.Squad ? "SQuAD v2 dev" : "HotpotQA dev (distractor)")} JSON file; upload it first.");
        var question = dataset.Questions[index % dataset.Questions.Count];
        // Candidate order: gold, then same-source documents, then the rest of the data set at random.
        var more = question.More.ToArray();
        SampleRandom.Shuffle(random, more);
        var taken = new HashSet<int>(question.Gold.Concat(more));
        var rest = Enumerable.Range(0, dataset.Documents.Count).Where(i => !taken.Contains(i)).ToArray();
        SampleRandom.Shuffle(random, rest);
        var candidates = question.Gold.Concat(more).Concat(rest).ToArray();
        var shuffleSeed = random.Next();

        var template = Template.Replace("{query}", question.Query);
        Func<int, string> build = n =>
        {
            var docs = candidates[..(question.Gold.Count + n)];
            SampleRandom.Shuffle(new Random(shuffleSeed), docs);
            return template.Replace("{context}", string.Join("\n\n", docs.Select((d, i) => $"Document {i + 1}:\n{dataset.Documents[d]}")));
        };
        var room = budget - resources.Tokenizer.CountTokens(AnswerPrefix);
        var overhead = resources.Tokenizer.CountTokens(build(0));
        // Documents are added one by one (a binary search would count far more of them than fit).
        var gold = question.Gold.Count;
        var (units, total) = (0, (long)overhead);
        while (units < candidates.Length - gold)
        {
            var next = total + DocumentFrame + dataset.Cost(candidates[gold + units], resources.Tokenizer.CountTokens);
            if (next > room) break;
            (units, total) = (units + 1, next);
        }
        var perDocument = units == 0 ? 100 : (total - overhead) / (double)units;
        var (input, tokens) = TokenFit.Exact(units, room, perDocument, build, resources.Tokenizer, task.Name, length);
        return new RulerSample(index, input, question.Outputs, tokens + resources.Tokenizer.CountTokens(AnswerPrefix), AnswerPrefix);
    }
}
