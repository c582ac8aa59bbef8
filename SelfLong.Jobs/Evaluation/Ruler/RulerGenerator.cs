namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>
/// Generates RULER samples: pure and seeded, so (task, length, seed, index) always gives the same
/// sample and any index can be generated alone. One generator per task family.
/// </summary>
public sealed class RulerGenerator(RulerResources resources)
{
    private readonly NiahGenerator niah = new(resources);
    private readonly VariableTrackingGenerator variableTracking = new(resources);
    private readonly CommonWordsGenerator commonWords = new(resources);
    private readonly FrequentWordsGenerator frequentWords = new(resources);
    private readonly QaGenerator qa = new(resources);

    public RulerResources Resources => resources;

    /// <param name="length">Target length: prompt tokens plus tokens to generate stay within it.</param>
    /// <param name="reservedTokens">Tokens the chat template will add around the prompt.</param>
    public RulerSample Generate(RulerTask task, int length, int index, int seed = 42, int reservedTokens = 0)
    {
        var random = SampleRandom.For(seed, task.Name, index);
        var budget = length - task.TokensToGenerate - reservedTokens;
        if (budget <= 0) throw new ArgumentException($"{task.Name}: length {length} leaves no room for a prompt.");
        var sample = task.Family switch
        {
            RulerFamily.Niah => niah.Generate(task, length, budget, index, random),
            RulerFamily.VariableTracking => variableTracking.Generate(task, length, budget, index, random),
            RulerFamily.CommonWords => commonWords.Generate(task, length, budget, index, random),
            RulerFamily.FrequentWords => frequentWords.Generate(task, length, budget, index, random),
            _ => qa.Generate(task, length, budget, index, random),
        };
        var reached = sample.Length + task.TokensToGenerate + reservedTokens;
        // A short sample would be scored as if it were at its length; refuse it instead. Short lengths
        // in a byte-level tokenizer allow one haystack unit (a noise line is ~90 bytes, over 2 % of 4096).
        if (reached < length - Allowance(length))
            throw new RulerLengthException(
                $"{task.Name} at {length:N0} tokens: sample {index} reaches only {reached:N0} tokens ({reached * 100.0 / length:0.#} %), " +
                $"short of the {100 * (1 - LengthTolerance):0} % a RULER length needs. Its haystack ran out" +
                (task.Family == RulerFamily.Qa ? "; upload a larger QA data set or choose a shorter length." : "; choose a shorter length."));
        return sample;
    }

    /// <summary>How far below its nominal length a sample may end: the last haystack unit rarely fits exactly.</summary>
    public const double LengthTolerance = 0.02;

    /// <summary>The shortfall always allowed, in tokens: about one haystack unit in the coarsest (byte-level) tokenizer.</summary>
    public const int UnitAllowance = 128;

    /// <summary>How many tokens short of <paramref name="length"/> a sample may end.</summary>
    public static double Allowance(int length) => Math.Max(length * LengthTolerance, UnitAllowance);

    /// <summary>Whether the task can be generated with these resources (qa needs its uploaded data set).</summary>
    public bool CanGenerate(RulerTask task) => task.Qa is not { } kind || resources.Dataset(kind) is { Questions.Count: > 0 };

    /// <summary>Counts a string with the resources' tokenizer.</summary>
    internal int Count(string text) => resources.Tokenizer.CountTokens(text);
}

/// <summary>A sample that cannot reach its nominal length; thrown rather than shortening it silently.</summary>
public sealed class RulerLengthException(string message) : InvalidOperationException(message);
