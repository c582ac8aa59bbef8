using System.CommandLine;
using System.Text.Json;

namespace SelfLong.Jobs.Evaluation;

/// <summary>Evaluation verbs: `eval niah`, `eval ruler`, `eval perplexity`, and `bench eval`.</summary>
public static partial class EvaluationCommands
{
    public static Command BenchEval()
    {
        var eval = new Command("eval", "Generate the full RULER set for real, time it, and print one JSON object.");
        var samples = new Option<int>("--samples") { Description = "Samples per task and length (RULER's 500 by default).", DefaultValueFactory = _ => 500 };
        eval.Options.Add(samples);
        eval.SetAction(parse =>
        {
            Console.WriteLine(JsonSerializer.Serialize(EvaluationBench.Run(parse.GetValue(samples))));
            return 0;
        });
        return eval;
    }
}
