using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Cli;
using SelfLong.Jobs.Evaluation.Perplexity;
using SelfLong.Jobs.Hosting;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Evaluation;

public static partial class EvaluationCommands
{
    /// <summary>`eval perplexity`: a perplexity-versus-length run of a local checkpoint, worked here, printed as JSON.</summary>
    private static Command PerplexityVerb()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Local checkpoint folder (config.json, safetensors, tokenizer).", Required = true };
        var lengths = new Option<string?>("--lengths") { Description = "Comma-separated context lengths in the checkpoint's tokens (k and M suffixes allowed; default: doubling from 256 to 4 x max_position_embeddings)." };
        var windows = new Option<int>("--windows") { Description = "Windows of held-out text averaged per length.", DefaultValueFactory = _ => PerplexitySettings.DefaultWindows };
        var corpus = new Option<long?>("--held-out-corpus") { Description = "Corpus id whose documents are the held-out text (default: the bundled State of the Union addresses)." };
        var name = new Option<string?>("--name") { Description = "Run name (default: the folder and the date)." };
        var textFile = new Option<string?>("--text-file") { Description = "Score this plain text once instead (no run is stored)." };
        var tokenFile = new Option<string?>("--token-ids") { Description = "Score these token ids once instead: a JSON array or whitespace-separated ids; the folder needs no tokenizer." };
        var maxLength = NumberList.OptionalLengthOption("--max-length", "With --text-file or --token-ids: score the first N tokens (default: max_position_embeddings; larger values measure extrapolation)");
        var command = new Command("perplexity", "Perplexity versus context length of a local checkpoint (a stored run), or of one text or token-id file; prints one JSON object.")
        {
            checkpoint, lengths, windows, corpus, name, textFile, tokenFile, maxLength,
        };
        command.SetAction(async (parse, ct) =>
        {
            var folder = parse.GetValue(checkpoint)!;
            if (parse.GetValue(textFile) is not null || parse.GetValue(tokenFile) is not null)
                return await ScoreOnceAsync(folder, parse.GetValue(textFile), parse.GetValue(tokenFile), parse.GetValue(maxLength), ct);
            using var host = CliHost.Build();
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            var service = host.Services.GetRequiredService<EvaluationService>();
            // A URL is an endpoint: the service refuses it with a message saying why.
            var kind = Uri.TryCreate(folder, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? EvaluationTargetKind.OpenAiCompletions : EvaluationTargetKind.LocalCheckpoint;
            var target = new EvaluationTargetRequest(kind, folder, Path.GetFileName(folder.TrimEnd('/')), null, "none", int.MaxValue);
            EvaluationRun run;
            try
            {
                var settings = new PerplexitySettings { Lengths = Numbers(parse.GetValue(lengths)) ?? [], Windows = parse.GetValue(windows), HeldOutCorpusId = parse.GetValue(corpus) };
                run = await service.CreatePerplexityAsync(parse.GetValue(name) ?? $"{target.Model} perplexity {DateTime.UtcNow:yyyy-MM-dd HH:mm}", target, settings, ct, enqueue: false);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }
            Console.Error.WriteLine($"Evaluation #{run.Id}: perplexity at {run.TotalItems} lengths.");
            run = await WorkHereAsync(host, service, run, ct);
            Console.WriteLine(JsonSerializer.Serialize(PerplexityExport.Json(run, await service.PerplexityLengthsAsync(run.Id, ct))));
            return run.Status == RunStatus.Succeeded ? 0 : 1;
        });
        return command;
    }

    /// <summary>One text or token-id file scored in this process: token count, mean NLL and perplexity.</summary>
    private static async Task<int> ScoreOnceAsync(string folder, string? textFile, string? tokenFile, int? maxLength, CancellationToken ct)
    {
        if (textFile is not null && tokenFile is not null)
        {
            await Console.Error.WriteLineAsync("Give one of --text-file or --token-ids, not both.");
            return 2;
        }
        try
        {
            var report = await Training.TrainingCommands.PerplexityReportAsync(folder, textFile, tokenFile, maxLength, ct);
            Console.WriteLine(JsonSerializer.Serialize(report));
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or NotSupportedException or FormatException or DirectoryNotFoundException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
    }
}
