using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SelfLong.Data;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Endpoints.Local;
using SelfLong.Jobs.Storage;

namespace SelfLong.Jobs.Endpoints;

/// <summary>A checkpoint a training run saved, offered as a local endpoint's folder.</summary>
public sealed record TrainingCheckpointChoice(long Id, string Label, string Path);

public sealed record EndpointTestResult(bool Ok, string Message, int LatencyMs);

public sealed class ModelEndpointService(
    IDbContextFactory<SelfLongDbContext> dbFactory, EndpointSecrets secrets, ChatClientFactory chatClients,
    IOptions<List<ConfiguredEndpoint>> configured, ILogger<ModelEndpointService> logger, ServerPaths paths, OutboundAddresses? outbound = null)
{
    /// <summary>The name of the built-in endpoint every installation has.</summary>
    public const string ExtractiveName = "extractive";

    public async Task<(ModelEndpoint? Endpoint, Dictionary<string, string[]> Errors)> CreateAsync(ModelEndpointInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (input.Kind == ModelEndpointKind.LocalCheckpoint && input.TrainingCheckpointId is { } checkpointId)
        {
            var path = await db.TrainingCheckpoints.Where(c => c.Id == checkpointId).Select(c => c.Path).SingleOrDefaultAsync(ct);
            if (path is null) return (null, new() { ["trainingCheckpointId"] = [$"There is no training checkpoint #{checkpointId}; pick one from the list."] });
            input = input with { CheckpointPath = path };
        }
        if (input.Kind == ModelEndpointKind.LocalCheckpoint && !string.IsNullOrWhiteSpace(input.CheckpointPath))
        {
            // The folder as resolved by the sandbox is what is checked, stored and later loaded.
            var (real, refused) = paths.Check(input.CheckpointPath, ServerPathKind.Folder);
            if (refused is not null) return (null, new() { ["checkpointPath"] = [refused] });
            input = input with { CheckpointPath = real };
        }
        var errors = input.Validate(out var checkpointConfig);
        if (errors.Count == 0 && input.Kind == ModelEndpointKind.OpenAiCompatible
            && await (outbound ?? OutboundAddresses.Default).ProblemAsync(input.BaseUrl!, ct) is { } denied)
            errors["baseUrl"] = [denied];
        if (errors.Count > 0) return (null, errors);
        var name = input.Name.Trim();
        if (await db.ModelEndpoints.AnyAsync(e => e.Name == name, ct))
            return (null, new() { ["name"] = [$"An endpoint named '{name}' exists already."] });
        var local = input.Kind == ModelEndpointKind.LocalCheckpoint;
        // Stored absolute: the web app and every worker resolve the folder the same way.
        var folder = local ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(input.CheckpointPath!.Trim())) : null;
        var endpoint = new ModelEndpoint
        {
            Name = name, Kind = input.Kind,
            BaseUrl = input.Kind == ModelEndpointKind.OpenAiCompatible ? input.BaseUrl!.Trim() : null,
            Model = string.IsNullOrWhiteSpace(input.Model) ? (local ? Path.GetFileName(folder) : null) : input.Model.Trim(),
            ProtectedApiKey = local ? null : secrets.Protect(input.ApiKey),
            ContextWindow = checkpointConfig?.MaxPositionEmbeddings ?? input.ContextWindow,
            MaxConcurrency = input.MaxConcurrency ?? (local ? LocalCheckpointSettings.DefaultConcurrency : 4),
            TimeoutSeconds = input.TimeoutSeconds,
            CheckpointPath = folder,
            Device = local ? input.Device ?? LocalCheckpointSettings.Cpu : null,
            MaxNewTokens = local ? input.MaxNewTokens ?? LocalCheckpointSettings.DefaultMaxNewTokens : null,
            Temperature = local ? input.Temperature ?? 0 : null,
        };
        db.ModelEndpoints.Add(endpoint);
        await db.SaveChangesAsync(ct);
        return (endpoint, errors);
    }

    /// <summary>Checkpoints that training runs saved, newest first, for the local endpoint picker.</summary>
    public async Task<IReadOnlyList<TrainingCheckpointChoice>> TrainingCheckpointsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.TrainingCheckpoints.AsNoTracking()
            .Join(db.TrainingRuns, c => c.RunId, r => r.Id, (c, r) => new { c.Id, Run = r.Name, c.Stage, c.GlobalStep, c.Path, c.CreatedAt })
            .OrderByDescending(c => c.CreatedAt).Take(200)
            .Select(c => new TrainingCheckpointChoice(c.Id, c.Run + ", stage " + (c.Stage + 1) + ", step " + c.GlobalStep, c.Path))
            .ToListAsync(ct);
    }

    /// <summary>The built-in extractive endpoint, created on first use.</summary>
    public async Task<ModelEndpoint> EnsureExtractiveAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.ModelEndpoints.SingleOrDefaultAsync(e => e.Name == ExtractiveName, ct) is { } existing) return existing;
        var endpoint = new ModelEndpoint { Name = ExtractiveName, Kind = ModelEndpointKind.Extractive, Model = "extractive", MaxConcurrency = 64 };
        db.ModelEndpoints.Add(endpoint);
        try
        {
            await db.SaveChangesAsync(ct);
            return endpoint;
        }
        catch (DbUpdateException)
        {
            await using var again = await dbFactory.CreateDbContextAsync(ct);
            return await again.ModelEndpoints.SingleAsync(e => e.Name == ExtractiveName, ct);
        }
    }

    /// <summary>Invalid declarations already logged by this process: every list would repeat them otherwise.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> ReportedDeclarations = new();

    /// <summary>
    /// Creates the endpoints declared in configuration that do not exist yet. A declaration that
    /// fails validation is logged with its errors (never its key) and skipped.
    /// </summary>
    public async Task EnsureConfiguredAsync(CancellationToken ct = default)
    {
        if (configured.Value.Count == 0) return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var names = configured.Value.Select(c => c.Name.Trim()).ToList();
        var existing = await db.ModelEndpoints.Where(e => names.Contains(e.Name)).Select(e => e.Name).ToListAsync(ct);
        foreach (var declared in configured.Value.Where(c => !existing.Contains(c.Name.Trim())))
        {
            try
            {
                var (_, errors) = await CreateAsync(declared.ToInput(), ct);
                if (errors.Count > 0 && !errors.ContainsKey("name") && ReportedDeclarations.TryAdd(declared.Name, 0))
                    logger.LogError("Endpoint '{Endpoint}' in {Section} is not valid: {Errors}", declared.Name, ConfiguredEndpoint.Section,
                        string.Join(" ", errors.SelectMany(e => e.Value)));
            }
            catch (DbUpdateException)
            {
                // Another process created it at the same moment.
            }
        }
    }

    public async Task<IReadOnlyList<ModelEndpoint>> ListAsync(CancellationToken ct = default)
    {
        await EnsureConfiguredAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ModelEndpoints.AsNoTracking().OrderBy(e => e.Name).ToListAsync(ct);
    }

    public async Task<ModelEndpoint?> FindAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ModelEndpoints.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id, ct);
    }

    public async Task<ModelEndpoint?> FindByNameAsync(string name, CancellationToken ct = default)
    {
        if (name == ExtractiveName) return await EnsureExtractiveAsync(ct);
        await EnsureConfiguredAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ModelEndpoints.AsNoTracking().SingleOrDefaultAsync(e => e.Name == name, ct);
    }

    /// <summary>
    /// Sends one tiny uncached request, so a user learns at once whether URL, model and key work;
    /// a local checkpoint is loaded (and kept loaded for the calls that follow) and generates a few tokens.
    /// </summary>
    public async Task<EndpointTestResult> TestAsync(ModelEndpoint endpoint, CancellationToken ct = default)
    {
        if (endpoint.Kind == ModelEndpointKind.Extractive)
            return new(true, "The built-in extractive generator needs no model and is always available.", 0);
        var watch = Stopwatch.StartNew();
        try
        {
            var chat = chatClients.For(endpoint);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, endpoint.TimeoutSeconds)));
            var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "Reply with OK.")],
                new ChatOptions { MaxOutputTokens = TestTokens }, timeout.Token);
            var ms = (int)watch.ElapsedMilliseconds;
            if (endpoint.Kind == ModelEndpointKind.LocalCheckpoint)
                return new(true, $"Loaded {endpoint.Model} on {endpoint.Device} and generated {response.Usage?.OutputTokenCount ?? 0} token(s) " +
                    $"in {ms} ms: \"{Preview(response.Text)}\"", ms);
            return new(true, $"Connected: {endpoint.Model} answered in {ms} ms.", ms);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(false, $"No answer within {endpoint.TimeoutSeconds} s.", (int)watch.ElapsedMilliseconds);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            return new(false, ex.Message, (int)watch.ElapsedMilliseconds);
        }
    }

    /// <summary>Tokens the connection test asks for.</summary>
    public const int TestTokens = 8;

    private static string Preview(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
