using System.Text;

namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>RULER's needle-in-a-haystack family (scripts/data/synthetic/niah.py), eight variants.</summary>
internal sealed class NiahGenerator(RulerResources resources)
{
    public const string Template =
        "Some special magic {type_needle_v} are hidden within the following text. Make sure to memorize it. " +
        "I will quiz you about the {type_needle_v} afterwards.\n{context}\n" +
        "What are all the special magic {type_needle_v} for {query} mentioned in the provided text?";

    public const string AnswerPrefixTemplate = " The special magic {type_needle_v} for {query} mentioned in the provided text are";

    public const string Needle = "One of the special magic {type_needle_v} for {key} is: {value}.";

    public const string Noise = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";

    /// <summary>40 evenly spaced depths 0..100% (np.round(np.linspace(0, 100, 40))).</summary>
    public static readonly IReadOnlyList<int> Depths =
        Enumerable.Range(0, 40).Select(i => (int)Math.Round(i * 100.0 / 39, MidpointRounding.ToEven)).ToList();

    public RulerSample Generate(RulerTask task, int length, int budget, int index, Random random)
    {
        var spec = task.Niah!;
        var keys = new List<string>();
        while (keys.Count < spec.PlantedKeys)
        {
            var key = Item(spec.KeyType, random);
            if (!keys.Contains(key)) keys.Add(key);
        }
        var values = keys.Select(_ => Enumerable.Range(0, spec.Values).Select(_ => Item(spec.ValueType, random)).ToList()).ToList();
        var plural = spec.ValueType == NiahItem.Uuids ? "uuids" : "numbers";
        var needles = keys.SelectMany((k, i) => values[i].Select(v => NeedleText(plural, k, v))).ToList();
        SampleRandom.Shuffle(random, needles);
        var depths = SampleRandom.Sample(random, Depths.Count, needles.Count).Select(i => Depths[i]).Order().ToList();
        var asked = SampleRandom.Sample(random, keys.Count, spec.Queries);
        var queries = asked.Select(i => keys[i]).ToList();
        var answers = asked.SelectMany(i => values[i]).ToList();

        var (template, answerPrefix) = Phrase(spec, plural, queries);
        var prefixTokens = resources.Tokenizer.CountTokens(answerPrefix);
        var room = budget - prefixTokens;
        var distractorSeed = random.Next();

        var haystack = spec.Haystack switch
        {
            NiahHaystack.Essay => new HaystackShape(
                n => template.Replace("{context}", EssayContext(n, needles, depths)),
                n => resources.EssayTokens(n), resources.EssayTokensPerSentence, int.MaxValue / 2),
            NiahHaystack.Noise => NoiseShape(template, room, needles, depths),
            _ => NeedleShape(template, spec, plural, keys, room, new Random(distractorSeed), needles, depths),
        };
        var build = haystack.Build;
        var perUnit = haystack.TokensPerUnit;
        var overhead = resources.Tokenizer.CountTokens(build(0));
        var units = TokenFit.Largest(haystack.MaxUnits, room - overhead, haystack.Estimate);
        var (input, tokens, fitted) = TokenFit.Exact(units, room, perUnit, build, resources.Tokenizer, task.Name, length, haystack.MaxUnits);
        if (spec.Haystack == NiahHaystack.Essay && room - tokens > RulerGenerator.Allowance(length))
            (input, tokens) = EndMidSentence(template, fitted, needles, depths, room, (input, tokens));
        return new RulerSample(index, input, answers, tokens + prefixTokens, answerPrefix);
    }

    /// <summary>How a haystack grows with its unit count n (sentences, noise lines or distractor needles).</summary>
    private sealed record HaystackShape(Func<int, string> Build, Func<int, long> Estimate, double TokensPerUnit, int MaxUnits);

    private HaystackShape NoiseShape(string template, int room, IReadOnlyList<string> needles, IReadOnlyList<int> depths)
    {
        var cost = resources.NoiseLineCost;
        return new HaystackShape(n => template.Replace("{context}", LineContext(n, _ => Noise, needles, depths)),
            n => (long)Math.Ceiling(n * cost), cost, (int)(room / cost) + 1);
    }

    private HaystackShape NeedleShape(string template, NiahSpec spec, string plural, IReadOnlyList<string> keys, int room,
        Random random, IReadOnlyList<string> needles, IReadOnlyList<int> depths)
    {
        var distractors = Distractors(spec, plural, keys, room, random, out var costs);
        return new HaystackShape(n => template.Replace("{context}", LineContext(n, i => distractors[i], needles, depths)),
            n => n == 0 ? 0 : costs[n - 1], costs[^1] / (double)costs.Count, distractors.Count);
    }

    /// <summary>Fills the template's wording; with one key, one value and one query the grammar is singular (niah.py).</summary>
    private static (string Template, string AnswerPrefix) Phrase(NiahSpec spec, string plural, IReadOnlyList<string> queries)
    {
        var text = Template + "\u0001" + AnswerPrefixTemplate;
        var type = plural;
        if (spec.Queries * spec.Values == 1)
        {
            text = text.Replace("Some", "A").Replace("are all", "is").Replace("are", "is").Replace("answers", "answer");
            type = plural[..^1];
        }
        var query = queries.Count > 1 ? string.Join(", ", queries.Take(queries.Count - 1)) + ", and " + queries[^1] : queries[0];
        var parts = text.Replace("{type_needle_v}", type).Replace("{query}", query).Split('\u0001');
        return (parts[0], parts[1]);
    }

    private static string NeedleText(string plural, string key, string value) =>
        Needle.Replace("{type_needle_v}", plural).Replace("{key}", key).Replace("{value}", value);

    private static string Item(NiahItem type, Random random) => type switch
    {
        NiahItem.Words => SampleRandom.WordKey(random),
        NiahItem.Uuids => SampleRandom.Uuid(random),
        _ => SampleRandom.Number(random),
    };

    /// <summary>
    /// Distractors counted one by one before the rest are costed at their mean: every distractor of
    /// a 4k sample, and past that a mean within about 0.7 % for random keys and values (uuids vary
    /// most). Counting each one would tokenize the whole haystack twice.
    /// </summary>
    private const int CountedDistractors = 128;

    /// <summary>
    /// The mean is raised by this share, so that the one real count of the prompt rarely finds it
    /// over the room (a second count, stepping down); the prompt then ends about 1 % short, inside
    /// the 2 % RULER allows.
    /// </summary>
    private const double MeanMargin = 0.01;

    /// <summary>Distractor needles of random keys and values, enough to fill the room; costs are cumulative tokens.</summary>
    private List<string> Distractors(NiahSpec spec, string plural, IReadOnlyList<string> keys, int room, Random random, out List<long> costs)
    {
        var list = new List<string>();
        costs = [];
        double total = 0;
        int? separator = null;
        double? mean = null;
        // A few percent to spare: costed at a mean, the list could otherwise end short of the room.
        while (total <= room * (1 + 3 * MeanMargin))
        {
            var key = Item(spec.KeyType, random);
            if (keys.Contains(key)) continue;
            var needle = NeedleText(plural, key, Item(spec.ValueType, random));
            // What a line break adds between two needles, measured once: a tokenizer may merge it with
            // the full stop before it, so counting "\n" + needle alone over-counts every line.
            separator ??= resources.Tokenizer.CountTokens(needle + "\n" + needle) - 2 * resources.Tokenizer.CountTokens(needle);
            if (list.Count == CountedDistractors) mean = total / CountedDistractors * (1 + MeanMargin);
            total += mean ?? resources.Tokenizer.CountTokens(needle) + separator.Value;
            list.Add(needle);
            costs.Add((long)Math.Ceiling(total));
        }
        return list;
    }

    /// <summary>Prose sentences with the needles inserted between sentences at their depths.</summary>
    private string EssayContext(int sentences, IReadOnlyList<string> needles, IReadOnlyList<int> depths, string tail = "")
    {
        var text = new StringBuilder();
        var next = 0;
        for (var i = 0; i <= sentences; i++)
        {
            // The cut sentence closes the haystack, before the needles that go at its very end.
            if (i == sentences && tail.Length > 0) Append(text, tail, ' ');
            while (next < needles.Count && (int)(sentences * (depths[next] / 100.0)) == i)
                Append(text, needles[next++], ' ');
            if (i < sentences) Append(text, resources.EssaySentence(i), ' ');
        }
        return text.ToString();
    }

    /// <summary>
    /// Whole sentences left the prompt short of its length (one long sentence did not fit, as at
    /// a thousand bytes of a byte-level tokenizer): the next sentence's first words fill the rest.
    /// RULER itself cuts its essay haystack at a word (niah.py splits the essay on spaces).
    /// </summary>
    private (string Input, int Tokens) EndMidSentence(string template, int sentences, IReadOnlyList<string> needles,
        IReadOnlyList<int> depths, int room, (string Input, int Tokens) whole)
    {
        var words = resources.EssaySentence(sentences).Split(' ');
        var best = whole;
        int lo = 1, hi = words.Length - 1;
        while (lo <= hi)
        {
            var mid = lo + (hi - lo) / 2;
            var input = template.Replace("{context}", EssayContext(sentences, needles, depths, string.Join(' ', words[..mid])));
            var tokens = resources.Tokenizer.CountTokens(input);
            if (tokens <= room) (best, lo) = ((input, tokens), mid + 1);
            else hi = mid - 1;
        }
        return best;
    }

    /// <summary>Lines of noise or distractor needles with the needles inserted at their depths.</summary>
    private static string LineContext(int lines, Func<int, string> line, IReadOnlyList<string> needles, IReadOnlyList<int> depths)
    {
        var text = new StringBuilder();
        var next = 0;
        for (var i = 0; i <= lines; i++)
        {
            while (next < needles.Count && (int)(lines * (depths[next] / 100.0)) == i)
                Append(text, needles[next++], '\n');
            if (i < lines) Append(text, line(i), '\n');
        }
        return text.ToString();
    }

    private static void Append(StringBuilder text, string piece, char separator)
    {
        if (text.Length > 0) text.Append(separator);
        text.Append(piece);
    }
}
