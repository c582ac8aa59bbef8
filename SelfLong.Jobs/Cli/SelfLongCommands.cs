using System.CommandLine;

namespace SelfLong.Jobs.Cli;

/// <summary>Every verb of `./selflong` that the worker host answers.</summary>
public static class SelfLongCommands
{
    public static IEnumerable<Command> All() =>
    [
        HostCommands.Worker(),
        HostCommands.Migrate(),
        HostCommands.Admin(),
        Accounts.TokenCommands.Token(),
        HostCommands.Check(),
        Corpora.CorporaCommands.Ingest(),
        Corpora.CorporaCommands.Search(),
        Training.TrainingCommands.Train(),
        Training.MemoryEstimateCommand.Command(),
        Synthesis.SynthesisCommands.Synthesize(),
        Evaluation.EvaluationCommands.Eval(),
        Demo.DemoCommands.Demo(),
        Bench(),
    ];

    /// <summary>`./selflong bench AREA`: each benchmark prints one JSON object.</summary>
    private static Command Bench() =>
        new("bench", "Benchmarks; each prints one JSON object.")
        {
            Corpora.CorporaCommands.BenchCorpus(),
            Corpora.CorporaCommands.BenchIngestHostile(),
            Synthesis.SynthesisBench.Command(),
            Training.TrainingCommands.BenchTrain(),
            Evaluation.EvaluationCommands.BenchEval(),
            Faults.FaultBench.Command(),
            Load.LoadBench.Command(),
        };
}
