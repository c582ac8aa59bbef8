using System.CommandLine;
using SelfLong.Jobs.Cli;

// The worker and command-line host. Each feature adds its verbs to SelfLongCommands.
var root = new RootCommand("SelfLong: bootstrap your own context length.");
foreach (var command in SelfLongCommands.All()) root.Subcommands.Add(command);
var verbose = new Option<bool>("--verbose") { Description = "Log at information level (standard error) instead of warnings only.", Recursive = true };
root.Options.Add(verbose);
var parse = root.Parse(args);
CliHost.Verbose = parse.GetValue(verbose);
return await parse.InvokeAsync();
