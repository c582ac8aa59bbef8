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
        SelfLong.Jobs.Corpora.CorporaCommands.Ingest(),
        SelfLong.Jobs.Corpora.CorporaCommands.Search(),
        new Command("bench", "Benchmarks; each prints one JSON object.") { SelfLong.Jobs.Corpora.CorporaCommands.BenchCorpus() },
    ];
}
