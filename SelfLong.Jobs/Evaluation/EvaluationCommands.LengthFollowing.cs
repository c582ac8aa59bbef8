using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Jobs.Cli;
using SelfLong.Jobs.Evaluation.LengthFollowing;
using SelfLong.Jobs.Evaluation.LmEval;

namespace SelfLong.Jobs.Evaluation;

public static partial class EvaluationCommands
{
    /// <summary>`eval length-following`: outputs asked for at required word counts (the paper's Figure 3), scored by mean absolute relative error.</summary>
    private static Command LengthFollowingVerb()
    {
        var command = new Command("length-following",
            "Length following (the paper's Figure 3): ask for outputs of required word counts, several prompts each, and report the mean absolute relative error.");
        var o = Common(command, "Comma-separated required output lengths in words (default: 250, 500, 1000, 2000, 4000, 8000).");
        var prompts = new Option<int>("--prompts") { Description = "Writing tasks asked at each length.", DefaultValueFactory = _ => LengthFollowingSettings.DefaultPromptsPerLength };
        var tokensPerWord = new Option<double>("--tokens-per-word")
        {
            Description = "Generation budget per required word; an output longer than this is cut.", DefaultValueFactory = _ => LengthFollowingSettings.DefaultTokensPerWord,
        };
        command.Options.Add(prompts); command.Options.Add(tokensPerWord);
        command.SetAction((parse, ct) => RunAsync(parse, o, (service, target, name, enqueue) => service.CreateLengthFollowingAsync(name, target, new LengthFollowingSettings
        {
            RequiredWords = Numbers(parse.GetValue(o.Lengths)) ?? [], PromptsPerLength = parse.GetValue(prompts), TokensPerWord = parse.GetValue(tokensPerWord),
        }, ct, enqueue), ct));
        return command;
    }

    /// <summary>`eval lm-eval-import`: lm-evaluation-harness results files as one run (a checkpoint's short-task scores).</summary>
    private static Command LmEvalImportVerb()
    {
        var files = new Argument<string[]>("files") { Description = "results_*.json files lm-evaluation-harness wrote for this checkpoint.", Arity = ArgumentArity.OneOrMore };
        var name = new Option<string?>("--name") { Description = "Run name: the checkpoint these scores belong to (default: the model the files name)." };
        var command = new Command("lm-eval-import", "Import lm-evaluation-harness results (results_*.json) as one run, to compare a checkpoint's short-task scores with its base model's.")
        {
            files, name,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var host = CliHost.Build();
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            var import = host.Services.GetRequiredService<LmEvalImport>();
            var streams = new List<(string, Stream)>();
            try
            {
                foreach (var path in parse.GetValue(files)!)
                    streams.Add((path, File.OpenRead(path)));
                var run = await import.ImportAsync(parse.GetValue(name) ?? "", streams, ct);
                var scores = await import.ScoresAsync(run.Id, ct);
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    run = run.Id, name = run.Name, model = run.Model, tasks = scores.Select(s => s.Task).Distinct().Count(), scores = scores.Count,
                    results = scores.Select(s => new { task = s.Task, metric = s.Metric, filter = s.Filter, value = s.Value, stderr = s.Stderr }),
                }));
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }
            finally
            {
                foreach (var (_, stream) in streams) await stream.DisposeAsync();
            }
        });
        return command;
    }
}
