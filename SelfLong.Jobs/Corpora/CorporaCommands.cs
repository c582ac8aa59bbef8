using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Cli;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Corpora;

/// <summary>`./selflong ingest` and `./selflong search`: the corpus pipeline from the command line (JSON out).</summary>
public static class CorporaCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Output for people and scripts, not for embedding in HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Ingest()
    {
        var corpus = new Option<string?>("--corpus") { Description = "Corpus name; created with the built-in embedder when missing." };
        var demo = new Option<bool>("--demo") { Description = "Load the bundled samples (State of the Union, Moby-Dick) into their own corpora." };
        var files = new Argument<string[]>("files") { Description = "Files to ingest (any supported format or archive).", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("ingest", "Ingest files into a corpus in this process and print the runs as JSON.") { corpus, demo, files };
        command.SetAction(async (parse, ct) =>
        {
            var paths = parse.GetValue(files) ?? [];
            var name = parse.GetValue(corpus);
            if (!parse.GetValue(demo) && (name is null || paths.Length == 0))
            {
                await Console.Error.WriteLineAsync("Give --corpus NAME and at least one file, or --demo.");
                return 2;
            }
            var missing = paths.Where(p => !File.Exists(p)).ToList();
            if (missing.Count > 0)
            {
                await Console.Error.WriteLineAsync($"No such file: {string.Join(", ", missing)}");
                return 2;
            }
            using var host = CliHost.Build();
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            await using var scope = host.Services.CreateAsyncScope();
            var services = scope.ServiceProvider;
            List<IngestionRun> runs;
            if (parse.GetValue(demo))
            {
                runs = await services.GetRequiredService<DemoCorpora>().LoadAsync(enqueue: false, ct);
            }
            else
            {
                var corpora = services.GetRequiredService<CorpusService>();
                var found = await corpora.FindByNameAsync(name!, ct);
                if (found is null)
                {
                    var (created, errors) = await corpora.CreateAsync(new CorpusSettings { Name = name! }, ct);
                    if (created is null)
                    {
                        await Console.Error.WriteLineAsync(string.Join(" ", errors.Values.SelectMany(v => v)));
                        return 2;
                    }
                    found = created;
                }
                var inputs = paths.Select(p => new IngestionInput(Path.GetFileName(p), Path.GetFullPath(p), new FileInfo(p).Length)).ToList();
                runs = [await services.GetRequiredService<IngestionService>().StartAsync(found.Id, inputs, enqueue: false, ct)];
            }

            var job = services.GetRequiredService<IngestionJob>();
            var ingestion = services.GetRequiredService<IngestionService>();
            var results = new List<object>();
            foreach (var run in runs)
            {
                var watch = Stopwatch.StartNew();
                await job.RunAsync(run.Id, ct);
                var done = (await ingestion.FindAsync(run.Id, ct))!;
                results.Add(new
                {
                    run = done.Id, corpus_id = done.CorpusId, status = done.Status.ToString(), done.Documents, done.Duplicates, done.Chunks,
                    done.Tokens, done.Errors, seconds = Math.Round(watch.Elapsed.TotalSeconds, 2), done.Message,
                    files = done.FileList.Select(f => new
                    {
                        f.FileName, status = f.Status.ToString(), f.Documents, f.Duplicates, f.Chunks, f.Errors, f.Message,
                        issues = f.Issues.Select(i => $"{i.Severity}: {i.Location}: {i.Message}"),
                    }),
                });
            }
            Console.WriteLine(JsonSerializer.Serialize(results, Json));
            return runs.All(r => r.Status != RunStatus.Failed) ? 0 : 1;
        });
        return command;
    }

    public static Command Search()
    {
        var corpus = new Option<string>("--corpus") { Description = "Corpus name.", Required = true };
        var k = new Option<int>("--k") { Description = "How many chunks.", DefaultValueFactory = _ => 10 };
        var mode = new Option<RetrievalMode>("--mode") { Description = "Hybrid (default), Vector or FullText.", DefaultValueFactory = _ => RetrievalMode.Hybrid };
        var query = new Argument<string>("query") { Description = "What to look for." };
        var command = new Command("search", "Top-k chunks of a corpus for a query, as JSON.") { corpus, k, mode, query };
        command.SetAction(async (parse, ct) =>
        {
            using var host = CliHost.Build();
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            var found = await host.Services.GetRequiredService<CorpusService>().FindByNameAsync(parse.GetValue(corpus)!, ct);
            if (found is null)
            {
                await Console.Error.WriteLineAsync($"No corpus named '{parse.GetValue(corpus)}'.");
                return 2;
            }
            var hits = await host.Services.GetRequiredService<ICorpusRetriever>()
                .SearchAsync(found.Id, parse.GetValue(query)!, parse.GetValue(k), parse.GetValue(mode), ct);
            Console.WriteLine(JsonSerializer.Serialize(new { corpus = found.Name, mode = parse.GetValue(mode).ToString(), hits }, Json));
            return 0;
        });
        return command;
    }

    /// <summary>`bench corpus`; other areas add their own subcommands to `bench`.</summary>
    public static Command BenchCorpus()
    {
        var queries = new Option<int>("--queries") { Description = "Queries timed and checked for recall.", DefaultValueFactory = _ => 200 };
        var chunks = new Option<long>("--chunks")
        {
            Description = "Chunks in the large query corpus made from the samples (chunks of the default size).", DefaultValueFactory = _ => 1_000_000,
        };
        chunks.Validators.Add(r =>
        {
            if (r.GetValue(chunks) is < 1000 or > 100_000_000) r.AddError("--chunks must be from 1000 to 100000000.");
        });
        var keep = new Option<bool>("--keep") { Description = "Keep the 126k and the large query corpora, to measure again with --corpus." };
        var stored = new Option<string?>("--corpus")
        {
            Description = "Measure only the queries on this stored corpus (built-in embedder): nothing is ingested, made or deleted.",
        };
        var command = new Command("corpus",
            "Ingestion throughput vs raw COPY, hybrid latency, HNSW recall and full-text agreement on 126k small chunks and on a large corpus; prints one JSON object.")
        {
            queries, chunks, keep, stored,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var host = CliHost.Build();
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            await using var scope = host.Services.CreateAsyncScope();
            var bench = ActivatorUtilities.CreateInstance<CorpusBench>(scope.ServiceProvider);
            object result;
            try
            {
                result = parse.GetValue(stored) is { } name
                    ? await bench.MeasureStoredAsync(name, parse.GetValue(queries), ct)
                    : await bench.RunAsync(parse.GetValue(queries), parse.GetValue(chunks), parse.GetValue(keep), ct);
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }
            Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return command;
    }

    /// <summary>`bench ingest-hostile`: the hostile uploads through the real pipeline, with time and peak memory.</summary>
    public static Command BenchIngestHostile()
    {
        var command = new Command("ingest-hostile",
            "A 50 MB one-record JSON Lines file and 64 MiB of text without punctuation through the ingestion pipeline; prints one JSON object.");
        command.SetAction(async (parse, ct) =>
        {
            using var host = CliHost.Build();
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            await using var scope = host.Services.CreateAsyncScope();
            var bench = ActivatorUtilities.CreateInstance<HostileIngestBench>(scope.ServiceProvider);
            Console.WriteLine(JsonSerializer.Serialize(await bench.RunAsync(ct), Json));
            return 0;
        });
        return command;
    }
}
