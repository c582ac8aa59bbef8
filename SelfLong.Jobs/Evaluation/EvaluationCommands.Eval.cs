using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Cli;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Hosting;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Evaluation;

public static partial class EvaluationCommands
{
    /// <summary>`eval niah`, `eval ruler` (and `eval perplexity`): create a run on the evaluation queue; with --wait, work it here and print the result.</summary>
    public static Command Eval()
    {
        var eval = new Command("eval", "Evaluate an OpenAI-compatible endpoint (needle in a haystack, RULER, length following) or a local checkpoint's perplexity; import lm-evaluation-harness results.");
        eval.Subcommands.Add(Niah());
        eval.Subcommands.Add(Ruler());
        eval.Subcommands.Add(PerplexityVerb());
        eval.Subcommands.Add(LengthFollowingVerb());
        eval.Subcommands.Add(LmEvalImportVerb());
        return eval;
    }

    private sealed record TargetOptions(Option<string?> Endpoint, Option<string?> Url, Option<string?> Model, Option<bool> Chat, Option<string> Template,
        Option<int> MaxLength, Option<int?> TrainingLength, Option<string?> Name, Option<bool> Wait, Option<string?> Lengths, Option<string> Tokenizer);

    /// <param name="lengths">What --lengths means for this verb (tokens, except the word counts of length following).</param>
    private static TargetOptions Common(Command command, string lengths = "Comma-separated lengths in tokens (k and M suffixes allowed).")
    {
        var options = new TargetOptions(
            new("--endpoint") { Description = "A model endpoint from the endpoints table, by name (instead of --url and --model)." },
            new("--url") { Description = "Base URL of the OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (found in or added to the endpoints table)." },
            new("--model") { Description = "Model name the endpoint serves." },
            new("--chat") { Description = "Use /chat/completions instead of /completions with SelfLong's chat template." },
            new("--template") { Description = "Chat template for completions: none, llama-3, chatml.", DefaultValueFactory = _ => "llama-3" },
            NumberList.LengthOption("--max-length", "The target's maximum length in tokens; longer cells are not run", 131072),
            NumberList.OptionalLengthOption("--training-length", "Training length, drawn as a dashed line on the heatmap"),
            new("--name") { Description = "Run name (default: the model and the date)." },
            new("--wait") { Description = "Work the run in this process and print the result (otherwise a worker or the web app runs it)." },
            new("--lengths") { Description = lengths },
            new("--tokenizer")
            {
                Description = "What sizes the prompts in the target's tokens: cl100k_base, bytes, a model folder with tokenizer.json or tokenizer.model, or \"server\" for the server's /tokenize route (vLLM).",
                DefaultValueFactory = _ => "cl100k_base",
            });
        foreach (var option in new Option[] { options.Endpoint, options.Url, options.Model, options.Chat, options.Template, options.MaxLength, options.TrainingLength, options.Name, options.Wait, options.Lengths, options.Tokenizer })
            command.Options.Add(option);
        return options;
    }

    private static Command Niah()
    {
        var command = new Command("niah", "Needle in a haystack (Fu et al. defaults: 10 depths, recall of the answer's words).");
        var o = Common(command);
        var depths = new Option<string?>("--depths") { Description = "Comma-separated depth percentages." };
        var needle = new Option<string?>("--needle") { Description = "Needle sentence." };
        var question = new Option<string?>("--question") { Description = "Question asked after the haystack." };
        var answer = new Option<string?>("--answer") { Description = "Answer whose words recall is scored on." };
        var haystack = HaystackCorpusOption();
        var scoring = new Option<NiahScoring>("--scoring")
        {
            Description = "How a response is scored, as the form offers: Recall (Fu et al.'s recall of the answer's words), FuScript (their script exactly: whitespace-split words), Judge (an LLM judge 1-10 with Kamradt's rubric).",
            DefaultValueFactory = _ => NiahScoring.Recall,
        };
        var judgeUrl = new Option<string?>("--judge-url") { Description = "With --scoring Judge: the judge endpoint's base URL (its API key is read from SELFLONG_JUDGE_API_KEY)." };
        var judgeModel = new Option<string?>("--judge-model") { Description = "With --scoring Judge: the judge model." };
        command.Options.Add(depths); command.Options.Add(needle); command.Options.Add(question); command.Options.Add(answer); command.Options.Add(haystack);
        command.Options.Add(scoring); command.Options.Add(judgeUrl); command.Options.Add(judgeModel);
        command.SetAction((parse, ct) => RunAsync(parse, o, async (service, target, name, enqueue) =>
        {
            var settings = new NiahSettings
            {
                Lengths = Numbers(parse.GetValue(o.Lengths)) ?? [],
                Depths = Numbers(parse.GetValue(depths)) ?? NiahSettings.DefaultDepths,
                Needle = parse.GetValue(needle) ?? NiahSettings.FuNeedle,
                Question = parse.GetValue(question) ?? NiahSettings.FuQuestion,
                Answer = parse.GetValue(answer) ?? NiahSettings.FuAnswer,
                HaystackCorpusId = parse.GetValue(haystack),
                Scoring = parse.GetValue(scoring), JudgeBaseUrl = parse.GetValue(judgeUrl), JudgeModel = parse.GetValue(judgeModel),
                ProtectedJudgeApiKey = service.ProtectApiKey(Environment.GetEnvironmentVariable("SELFLONG_JUDGE_API_KEY")),
            };
            return await service.CreateNiahAsync(name, target, settings, ct, enqueue);
        }, ct));
        return command;
    }

    private static Option<long?> HaystackCorpusOption() =>
        new("--haystack-corpus") { Description = "Corpus id whose documents are the essay haystack (default: the bundled prose)." };

    private static Command Ruler()
    {
        var command = new Command("ruler", "RULER: 13 tasks (qa_1/qa_2 when their data sets are uploaded), string_match_all / string_match_part.");
        var o = Common(command);
        var samples = new Option<int>("--samples") { Description = "Samples per task and length.", DefaultValueFactory = _ => 500 };
        var seed = new Option<int>("--seed") { Description = "Seed; same seed, same samples.", DefaultValueFactory = _ => 42 };
        var tasks = new Option<string?>("--tasks") { Description = "Comma-separated task names (default: all)." };
        var haystack = HaystackCorpusOption();
        var requireAll = new Option<bool>("--require-all-tasks") { Description = "Refuse to start unless all 13 tasks can run (QA files uploaded), so averages compare with published ones." };
        command.Options.Add(samples); command.Options.Add(seed); command.Options.Add(tasks); command.Options.Add(haystack); command.Options.Add(requireAll);
        command.SetAction((parse, ct) => RunAsync(parse, o, async (service, target, name, enqueue) =>
        {
            var settings = new RulerSettings
            {
                Samples = parse.GetValue(samples), Seed = parse.GetValue(seed), HaystackCorpusId = parse.GetValue(haystack),
                RequireAllTasks = parse.GetValue(requireAll),
            };
            if (Numbers(parse.GetValue(o.Lengths)) is { } lengths) settings = settings with { Lengths = lengths };
            if (parse.GetValue(tasks) is { } names) settings = settings with { Tasks = names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
            return await service.CreateRulerAsync(name, target, settings, ct, enqueue);
        }, ct));
        return command;
    }

    /// <summary>The endpoint named by --endpoint, or the one at --url serving --model (its key from SELFLONG_EVAL_API_KEY).</summary>
    private static async Task<EvaluationTargetRequest> TargetAsync(ParseResult parse, TargetOptions o, Targets.TargetEndpoints endpoints, CancellationToken ct)
    {
        var kind = parse.GetValue(o.Chat) ? EvaluationTargetKind.OpenAiChat : EvaluationTargetKind.OpenAiCompletions;
        var (url, model, endpointId) = (parse.GetValue(o.Url), parse.GetValue(o.Model), (long?)null);
        if (parse.GetValue(o.Endpoint) is { } name)
        {
            if (url is not null || model is not null) throw new ArgumentException("Give either --endpoint or --url and --model, not both.");
            var endpoint = await endpoints.FindAsync(name, ct);
            (url, model, endpointId) = (endpoint.BaseUrl, endpoint.Model, endpoint.Id);
        }
        else if (string.IsNullOrWhiteSpace(url) || string.IsNullOrWhiteSpace(model))
            throw new ArgumentException("Name the target: --endpoint NAME from the endpoints table, or --url and --model.");
        return new EvaluationTargetRequest(kind, url!, model!, endpointId is null ? Environment.GetEnvironmentVariable("SELFLONG_EVAL_API_KEY") : null,
            parse.GetValue(o.Template)!, parse.GetValue(o.MaxLength), parse.GetValue(o.TrainingLength), parse.GetValue(o.Tokenizer)!, endpointId);
    }

    private static async Task<int> RunAsync(ParseResult parse, TargetOptions o,
        Func<EvaluationService, EvaluationTargetRequest, string, bool, Task<EvaluationRun>> create, CancellationToken ct)
    {
        var wait = parse.GetValue(o.Wait);
        using var host = CliHost.Build();
        await host.Services.MigrateSelfLongDatabaseAsync(ct);
        var service = host.Services.GetRequiredService<EvaluationService>();
        EvaluationRun run;
        try
        {
            var target = await TargetAsync(parse, o, host.Services.GetRequiredService<Targets.TargetEndpoints>(), ct);
            run = await create(service, target, parse.GetValue(o.Name) ?? $"{target.Model} {DateTime.UtcNow:yyyy-MM-dd HH:mm}", !wait);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        if (!wait)
        {
            Console.Error.WriteLine($"Evaluation #{run.Id} queued on the evaluation queue ({run.TotalItems} items). The API key is read from SELFLONG_EVAL_API_KEY.");
            Console.WriteLine(JsonSerializer.Serialize(new { run = run.Id, status = run.Status.ToString(), items = run.TotalItems }));
            return 0;
        }
        Console.Error.WriteLine($"Evaluation #{run.Id} runs here ({run.TotalItems} items). The API key is read from SELFLONG_EVAL_API_KEY.");

        run = await WorkHereAsync(host, service, run, ct);
        object result = run.Kind switch
        {
            EvaluationKind.Niah => new
            {
                run = run.Id, status = run.Status.ToString(), mean_score = (await service.NiahCellsAsync(run.Id, ct)).Select(c => c.Score).DefaultIfEmpty().Average(),
                scoring = EvaluationJson.Read<NiahSettings>(run.SettingsJson).Convention, message = run.Message,
            },
            EvaluationKind.LengthFollowing => LengthFollowing.LengthFollowingExport.Json(run, await service.LengthFollowingOutputsAsync(run.Id, ct)),
            _ => await RulerResultAsync(service, run, ct),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return run.Status == RunStatus.Succeeded ? 0 : 1;
    }

    private static async Task<object> RulerResultAsync(EvaluationService service, EvaluationRun run, CancellationToken ct)
    {
        var summary = await service.RulerSummaryAsync(run.Id, ct);
        return new
        {
            run = run.Id, status = run.Status.ToString(), lengths = summary.Lengths, average = summary.AverageByLength,
            average_covers = summary.Covers, tasks_averaged = summary.TasksByLength,
            wavg_inc = summary.WeightedAverageIncreasing, wavg_dec = summary.WeightedAverageDecreasing,
            effective_length = summary.EffectiveLength, coverage = summary.Coverage, tokenizer = run.Tokenizer, sized_with = run.SizedWith,
            prompt_layout = run.PromptLayout, message = run.Message,
        };
    }

    private static IReadOnlyList<int>? Numbers(string? text) => string.IsNullOrWhiteSpace(text) ? null : NumberList.Parse(text);

    /// <summary>
    /// Runs the run's job in this process, showing progress on stderr. Not through a Hangfire server
    /// of its own: one here would also take other runs' jobs from the shared queue and abandon them
    /// when the verb exits.
    /// </summary>
    private static async Task<EvaluationRun> WorkHereAsync(IHost host, EvaluationService service, EvaluationRun run, CancellationToken ct)
    {
        using var scope = host.Services.CreateScope();
        var job = scope.ServiceProvider.GetRequiredService<EvaluationJob>();
        using var finished = new CancellationTokenSource();
        var progress = ShowProgressAsync(service, run, finished.Token);
        try
        {
            await job.RunAsync(run.Id, ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // The job recorded the failure on the run; the result printed says so.
        }
        finally
        {
            await finished.CancelAsync();
            await progress;
        }
        return (await service.FindAsync(run.Id, CancellationToken.None))!;
    }

    private static async Task ShowProgressAsync(EvaluationService service, EvaluationRun run, CancellationToken finished)
    {
        try
        {
            while (true)
            {
                await Task.Delay(1000, finished);
                var now = await service.FindAsync(run.Id, finished);
                Console.Error.Write($"\r{now?.DoneItems}/{now?.TotalItems}");
            }
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine();
        }
    }
}
