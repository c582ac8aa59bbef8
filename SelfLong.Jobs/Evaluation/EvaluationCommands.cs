using System.CommandLine;
using System.Text.Json;

namespace SelfLong.Jobs.Evaluation;

/// <summary>Evaluation verbs: `eval niah`, `eval ruler`, `eval perplexity`, and `bench eval`.</summary>
public static partial class EvaluationCommands
{
    public static Command BenchEval()
    {
        var eval = new Command("eval", "Time RULER generation and print one JSON object.");
        eval.SetAction(_ =>
        {
            Console.WriteLine(JsonSerializer.Serialize(EvaluationBench.Run()));
            return 0;
        });
        return eval;
    }
}
