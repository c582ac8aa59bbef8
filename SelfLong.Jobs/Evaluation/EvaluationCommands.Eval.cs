using System.CommandLine;

namespace SelfLong.Jobs.Evaluation;

public static partial class EvaluationCommands
{
    public static Command Eval() => new("eval", "Evaluate a target: needle in a haystack or RULER.");
}
