using System.CommandLine;
using Actors.Cli;

var root = new RootCommand("Actors: an executable actor model of Linux pid namespaces, next_id and cgroups.");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ExploreCommand.Create());
root.Subcommands.Add(ExploreCommand.CreateReplay());
root.Subcommands.Add(ConformCommand.Create());
return root.Parse(args).Invoke();
