using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SelfLong.Data;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Cli;
using SelfLong.Jobs.Endpoints;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Synthesis;

/// <summary>`./selflong synthesize ...`: start a synthesis run from the command line.</summary>
public static class SynthesisCommands
{
    public static Command Synthesize()
    {
        var corpus = new Option<string>("--corpus") { Description = "Corpus name (or numeric id).", Required = true };
        var endpoint = new Option<string>("--endpoint") { Description = "Model endpoint name; \"extractive\" is the built-in generator (no model).", DefaultValueFactory = _ => ModelEndpointService.ExtractiveName };
        var samples = new Option<int>("--samples") { Description = "Number of samples the run must end with.", Required = true };
        var name = new Option<string?>("--name") { Description = "Run name (default: corpus, endpoint and time)." };
        var seed = new Option<int>("--seed") { Description = "Seed: same seed, same draws.", DefaultValueFactory = _ => 1 };
        var defaults = new SynthesisSettings();
        var minTokens = Evaluation.NumberList.LengthOption("--min-tokens", "Smallest target input length", defaults.MinTargetTokens);
        var maxTokens = Evaluation.NumberList.LengthOption("--max-tokens", "Largest target input length", defaults.MaxTargetTokens);
        var topK = new Option<int>("--top-k") { Description = "Chunks per retrieval (widened until the target length is met).", DefaultValueFactory = _ => defaults.TopK };
        var chunkTokens = new Option<int>("--chunk-tokens") { Description = "Chunk size for summarization.", DefaultValueFactory = _ => defaults.ChunkTokens };
        var longOutput = new Option<double>("--long-output") { Description = "Share of long-output (back-translation) samples.", DefaultValueFactory = _ => defaults.LongOutputFraction };
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "Tokenizer of the model the data is for; lengths and counts are in its tokens: cl100k_base, bytes (SelfLong-Tiny), or a model folder with tokenizer.json or tokenizer.model.",
            DefaultValueFactory = _ => defaults.TargetTokenizer,
        };
        var inProcess = new Option<bool>("--in-process") { Description = "Run the samples in this process instead of the synthesis queue (no worker needed)." };
        var wait = new Option<bool>("--wait") { Description = "Wait until a worker has finished the run, printing progress." };

        var command = new Command("synthesize", "Synthesize long-context instruction data from a corpus (the paper's four steps).")
        {
            corpus, endpoint, samples, name, seed, minTokens, maxTokens, topK, chunkTokens, longOutput, tokenizer, inProcess, wait,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var host = CliHost.Build();
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            await using var scope = host.Services.CreateAsyncScope();
            var services = scope.ServiceProvider;

            if (services.GetService<Corpora.Retrieval.ICorpusRetriever>() is null)
            {
                await Console.Error.WriteLineAsync("This build has no corpus retriever registered, so there is nothing to synthesize from. Ingest a corpus with the corpora feature first.");
                return 2;
            }
            var corpusText = parse.GetValue(corpus)!;
            var corpusId = await ResolveCorpusAsync(services.GetRequiredService<ICorpusNames>(), corpusText, ct);
            if (corpusId is null)
            {
                await Console.Error.WriteLineAsync($"No corpus named '{corpusText}'. Give a corpus name from the Corpora page or its numeric id.");
                return 2;
            }
            var endpointName = parse.GetValue(endpoint)!;
            var chosen = await services.GetRequiredService<ModelEndpointService>().FindByNameAsync(endpointName, ct);
            if (chosen is null)
            {
                await Console.Error.WriteLineAsync($"No model endpoint named '{endpointName}'. Add it on the Synthesis page, or use \"extractive\".");
                return 2;
            }

            var settings = defaults with
            {
                MinTargetTokens = parse.GetValue(minTokens),
                MaxTargetTokens = parse.GetValue(maxTokens),
                TopK = parse.GetValue(topK),
                ChunkTokens = parse.GetValue(chunkTokens),
                LongOutputFraction = parse.GetValue(longOutput),
                TargetTokenizer = parse.GetValue(tokenizer)!,
            };
            var runs = services.GetRequiredService<SynthesisRunService>();
            var runName = parse.GetValue(name) ?? $"{corpusText} with {endpointName} {DateTime.UtcNow:yyyy-MM-dd HH:mm}";
            var (run, errors) = await runs.CreateAsync(new NewSynthesisRun(runName, corpusId.Value, chosen.Id, parse.GetValue(samples), parse.GetValue(seed), settings), ct);
            if (run is null)
            {
                foreach (var (field, messages) in errors)
                {
                    await Console.Error.WriteLineAsync($"{OptionFor.GetValueOrDefault(field, field)}: {string.Join(" ", messages)}");
                }
                return 2;
            }
            Console.Error.WriteLine($"Run {run.Id} \"{run.Name}\": {run.SampleCount} samples by {run.GeneratorLabel}.");

            if (parse.GetValue(inProcess))
            {
                var local = new InProcessSampleJobQueue();
                await runs.StartAsync(run.Id, local, ct);
                await local.RunAllAsync(services.GetRequiredService<SynthesisExecutor>(), Math.Max(2, chosen.MaxConcurrency),
                    done => Console.Error.Write($"\r{done} of {run.SampleCount} samples"), ct);
                Console.Error.WriteLine();
            }
            else
            {
                await runs.StartAsync(run.Id, ct);
                Console.Error.WriteLine("Enqueued on the synthesis queue. Follow it on the dashboard, or with --wait.");
                if (!parse.GetValue(wait)) return 0;
                while (await runs.FindAsync(run.Id, ct) is { Status: RunStatus.Running or RunStatus.Queued })
                {
                    var p = (await runs.ProgressAsync([run.Id], ct))[run.Id];
                    Console.Error.Write($"\r{p.Completed} of {run.SampleCount} samples, {p.Failed} failed");
                    await Task.Delay(1000, ct);
                }
                Console.Error.WriteLine();
            }
            var final = (await runs.ProgressAsync([run.Id], ct))[run.Id];
            var state = await runs.FindAsync(run.Id, ct);
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                run = run.Id, status = state?.Status.ToString(), samples = run.SampleCount, completed = final.Completed, failed = final.Failed,
                input_tokens = final.InputTokens, llm_calls = state?.LlmCalls, cache_hits = state?.CacheHits,
            }));
            return final.Failed == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>The run's validation errors are keyed by API field; a command-line user knows the options.</summary>
    private static readonly Dictionary<string, string> OptionFor = new()
    {
        ["name"] = "--name", ["sampleCount"] = "--samples", ["targetTokens"] = "--min-tokens/--max-tokens", ["topK"] = "--top-k",
        ["chunkTokens"] = "--chunk-tokens", ["longOutputFraction"] = "--long-output", ["targetTokenizer"] = "--tokenizer",
    };

    private static async Task<long?> ResolveCorpusAsync(ICorpusNames names, string text, CancellationToken ct)
    {
        var match = (await names.ListAsync(ct)).Where(c => string.Equals(c.Name, text, StringComparison.OrdinalIgnoreCase)).ToList();
        if (match.Count == 1) return match[0].Id;
        return long.TryParse(text, out var id) ? id : null;
    }
}
