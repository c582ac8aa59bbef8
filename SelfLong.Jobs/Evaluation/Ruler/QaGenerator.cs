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

    public const string AnswerPrefix = " Answer:";

    /// <summary>About what "Document {i}:\n" and the blank line between documents cost.</summary>
    private const int DocumentFrame = 6;

    /// <summary>Share of the room left unfilled by the estimate, so the real count rarely overshoots (RULER allows 2 %).</summary>
    private const double FillSlack = 0.004;

    /// <summary>Documents passed over for being too long before the haystack counts as full.</summary>
    private const int MaxSkipped = 200;

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
        var room = budget - resources.Tokenizer.CountTokens(AnswerPrefix);
        var gold = question.Gold.Count;
        var overhead = resources.Tokenizer.CountTokens(Build(template, dataset, candidates[..gold], shuffleSeed));
        // Documents are taken one by one in candidate order, skipping one that would overflow, so the
        // prompt ends close to its length whatever the documents' sizes. Once every document is in,
        // the candidates repeat, as RULER repeats its documents to fill long lengths.
        var chosen = new List<int>(question.Gold);
        double total = overhead, frame = dataset.Frame(resources.Tokenizer.CountTokens, DocumentFrame);
        // Filled to a little under the room, so the one real count below rarely finds the estimate
        // over it: counting the prompt is what generation spends its time on.
        var slack = Math.Max(frame, room * FillSlack);
        var k = gold;
        string input;
        int tokens;
        var pass = 0;
        while (true)
        {
            for (var skipped = 0; room - slack - total > frame && skipped < MaxSkipped; k++)
            {
                var document = candidates[k % candidates.Length];
                // The frame was measured with labels 1 to 64; a longer label costs what it adds.
                var label = resources.DocumentLabelCost(chosen.Count + 1) - resources.DocumentLabelCost(1);
                var next = total + frame + label + dataset.Cost(document, resources.Tokenizer.CountTokens);
                if (next > room - slack)
                {
                    skipped++;
                    continue;
                }
                chosen.Add(document);
                total = next;
            }
            input = Build(template, dataset, chosen, shuffleSeed);
            tokens = resources.Tokenizer.CountTokens(input);
            // Done when the prompt is close enough, when the estimate held (another pass would add
            // nothing), or when it went over (stepped down below).
            if (tokens > room || room - tokens <= 3 * slack || Math.Abs(tokens - total) <= frame || chosen.Count == gold || ++pass == 3) break;
            // The summed estimate drifted from the real count by a little per document; correct the
            // frame by the measured drift and go on filling.
            frame = Math.Max(1, frame + (tokens - total) / (chosen.Count - gold));
            total = tokens;
        }
        if (tokens > room)
        {
            var units = chosen.Count - gold;
            var perDocument = units == 0 ? 100 : (total - overhead) / units;
            (input, tokens, _) = TokenFit.Exact(units, room, perDocument, n => Build(template, dataset, chosen[..(gold + n)], shuffleSeed),
                resources.Tokenizer, task.Name, length);
        }
        return new RulerSample(index, input, question.Outputs, tokens + resources.Tokenizer.CountTokens(AnswerPrefix), AnswerPrefix);
    }

    private static string Build(string template, QaDataset dataset, IReadOnlyList<int> documents, int shuffleSeed)
    {
        var docs = documents.ToArray();
        SampleRandom.Shuffle(new Random(shuffleSeed), docs);
        return template.Replace("{context}", string.Join("\n\n", docs.Select((d, i) => $"Document {i + 1}:\n{dataset.Documents[d]}")));
    }
}
