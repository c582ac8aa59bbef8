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
        HostCommands.Check(),
        Synthesis.SynthesisCommands.Synthesize(),
        new Command("bench", "Benchmarks; each prints one JSON object.") { Synthesis.SynthesisBench.Command() },
    ];
}
