using System.CommandLine;
using SelfLong.Jobs.Cli;

// The worker and command-line host. Each feature adds its verbs to SelfLongCommands.
var root = new RootCommand("SelfLong: bootstrap your own context length.");
foreach (var command in SelfLongCommands.All()) root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
