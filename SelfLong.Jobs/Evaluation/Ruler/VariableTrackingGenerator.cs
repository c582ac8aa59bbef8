using System.Text;

namespace SelfLong.Jobs.Evaluation.Ruler;

/// <summary>
/// RULER's variable tracking (scripts/data/synthetic/variable_tracking.py): one chain of 4 hops
/// (VAR ABCDE = 12345, VAR FGHIJ = VAR ABCDE, ...) spread through noise; answer: every variable in it.
/// </summary>
internal sealed class VariableTrackingGenerator(RulerResources resources)
{
    public const string Template =
        "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n{context}\n" +
        "Question: Find all variables that are assigned the value {query} in the text above.";

    /// <summary>RULER's prefix, with its leading and trailing space.</summary>
    public const string AnswerPrefixTemplate =
        " Answer: According to the chain(s) of variable assignment in the text above, {num_v} variables are assigned the value {query}, they are: ";

    public const int Hops = 4;

    /// <summary>Tokens of the worked example put in front of the question.</summary>
    public const int ExampleTokens = 500;

    private const string Noise = NiahGenerator.Noise;

    public RulerSample Generate(RulerTask task, int length, int budget, int index, Random random)
    {
        // The worked example: 3-letter variables, as RULER's is_icl chains, whose names and value RULER
        // then randomizes per sample (randomize_icl) in place of its fixed 12345.
        var exampleValue = Value(random);
        var (exampleVars, exampleChain) = Chain(random, 3, exampleValue);
        var examplePositions = random.Next();
        var exampleQuestion = Fill(Template, exampleValue);
        // The prefix ends in a space and RULER joins the answer with one more (input + " " + outputs).
        var exampleAnswer = Fill(AnswerPrefixTemplate, exampleValue) + " " + string.Join(" ", exampleVars);
        Func<int, string> exampleBuild = n => exampleQuestion.Replace("{context}", Context(n, exampleChain, examplePositions)) + exampleAnswer;
        var noiseCost = resources.NoiseLineCost;
        var exampleOverhead = resources.Tokenizer.CountTokens(exampleBuild(0));
        var example = exampleBuild(Math.Max(0, (int)((ExampleTokens - exampleOverhead) / noiseCost)));

        var value = Value(random);
        var (vars, chain) = Chain(random, 5, value);
        var positions = random.Next();
        var question = Fill(Template, value);
        var answerPrefix = Fill(AnswerPrefixTemplate, value);
        var room = budget - resources.Tokenizer.CountTokens(answerPrefix);

        Func<int, string> build = n => example + "\n\n" + question.Replace("{context}", Context(n, chain, positions));
        var overhead = resources.Tokenizer.CountTokens(build(0));
        var units = TokenFit.Largest((int)(room / noiseCost) + 1, room - overhead, n => (long)Math.Ceiling(n * noiseCost));
        var (input, tokens, _) = TokenFit.Exact(units, room, noiseCost, build, resources.Tokenizer, task.Name, length);
        return new RulerSample(index, input, vars, tokens + resources.Tokenizer.CountTokens(answerPrefix), answerPrefix);
    }

    /// <summary>np.random.randint(10000, 99999): five digits, the upper bound excluded.</summary>
    private static string Value(Random random) => random.Next(10000, 99999).ToString();

    private static string Fill(string template, string value) =>
        template.Replace("{num_v}", (Hops + 1).ToString()).Replace("{query}", value);

    /// <summary>Hops+1 distinct variables; the first is assigned the value, each next one the previous variable.</summary>
    private static (List<string> Vars, List<string> Lines) Chain(Random random, int letters, string value)
    {
        var vars = new List<string>();
        while (vars.Count < Hops + 1)
        {
            var name = SampleRandom.Letters(random, letters, upper: true);
            if (!vars.Contains(name)) vars.Add(name);
        }
        var lines = new List<string> { $"VAR {vars[0]} = {value}" };
        // RULER's hop lines end in a space ("VAR B = VAR A ").
        for (var j = 0; j < Hops; j++) lines.Add($"VAR {vars[j + 1]} = VAR {vars[j]} ");
        return (vars, lines);
    }

    /// <summary>n noise lines with the chain's lines inserted, in order, at random positions.</summary>
    private static string Context(int noiseLines, IReadOnlyList<string> chain, int positionSeed)
    {
        var positions = SampleRandom.Sample(new Random(positionSeed), noiseLines + 1, chain.Count).Order().ToList();
        var text = new StringBuilder();
        var next = 0;
        for (var i = 0; i <= noiseLines; i++)
        {
            while (next < chain.Count && positions[next] == i) text.Append(chain[next++]).Append('\n');
            if (i < noiseLines) text.Append(Noise).Append('\n');
        }
        return text.ToString().TrimEnd('\n');
    }
}
