using System.CommandLine;
using Actors.Cli;

var root = new RootCommand("Actors: an executable actor model of Linux pid namespaces, next_id and cgroups.");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ExploreCommand.Create());
root.Subcommands.Add(ExploreCommand.CreateReplay());
root.Subcommands.Add(StressCommand.Create());
root.Subcommands.Add(ConformCommand.Create());
var parse = root.Parse(args);
var status = parse.Invoke();
// The contract: usage errors exit 2 (System.CommandLine's own status for them is 1).
return parse.Errors.Count > 0 ? CommonOptions.UsageError : status;
