using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using SelfLong.Data;
using SelfLong.Data.Endpoints;

namespace SelfLong.Jobs.Endpoints;

/// <summary>What a user enters for an endpoint; the API key is write-only.</summary>
public sealed record ModelEndpointInput(
    string Name, ModelEndpointKind Kind, string? BaseUrl = null, string? Model = null, string? ApiKey = null,
    int ContextWindow = 8192, int MaxConcurrency = 4, int TimeoutSeconds = 120);

public sealed record EndpointTestResult(bool Ok, string Message, int LatencyMs);

public sealed class ModelEndpointService(
    IDbContextFactory<SelfLongDbContext> dbFactory, EndpointSecrets secrets, ChatClientFactory chatClients)
{
    /// <summary>The name of the built-in endpoint every installation has.</summary>
    public const string ExtractiveName = "extractive";

    public static Dictionary<string, string[]> Validate(ModelEndpointInput input)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(input.Name) || input.Name.Length > 100)
            errors["name"] = ["Give the endpoint a name of 1 to 100 characters."];
        if (input.Kind == ModelEndpointKind.OpenAiCompatible)
        {
            if (!Uri.TryCreate(input.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                errors["baseUrl"] = ["Enter the server's base URL, e.g. http://localhost:8000/v1."];
            if (string.IsNullOrWhiteSpace(input.Model))
                errors["model"] = ["Enter the model name the server expects."];
        }
        if (input.ContextWindow is < 512 or > 10_000_000)
            errors["contextWindow"] = ["The context window must be between 512 and 10,000,000 tokens."];
        if (input.MaxConcurrency is < 1 or > 1024)
            errors["maxConcurrency"] = ["Maximum concurrent requests must be between 1 and 1024."];
        if (input.TimeoutSeconds is < 1 or > 3600)
            errors["timeoutSeconds"] = ["The timeout must be between 1 and 3600 seconds."];
        return errors;
    }

    public async Task<(ModelEndpoint? Endpoint, Dictionary<string, string[]> Errors)> CreateAsync(ModelEndpointInput input, CancellationToken ct = default)
    {
        var errors = Validate(input);
        if (errors.Count > 0) return (null, errors);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var name = input.Name.Trim();
        if (await db.ModelEndpoints.AnyAsync(e => e.Name == name, ct))
            return (null, new() { ["name"] = [$"An endpoint named '{name}' exists already."] });
        var endpoint = new ModelEndpoint
        {
            Name = name, Kind = input.Kind,
            BaseUrl = input.Kind == ModelEndpointKind.OpenAiCompatible ? input.BaseUrl!.Trim() : null,
            Model = input.Model?.Trim(), ProtectedApiKey = secrets.Protect(input.ApiKey),
            ContextWindow = input.ContextWindow, MaxConcurrency = input.MaxConcurrency, TimeoutSeconds = input.TimeoutSeconds,
        };
        db.ModelEndpoints.Add(endpoint);
        await db.SaveChangesAsync(ct);
        return (endpoint, errors);
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

    public async Task<IReadOnlyList<ModelEndpoint>> ListAsync(CancellationToken ct = default)
    {
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
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ModelEndpoints.AsNoTracking().SingleOrDefaultAsync(e => e.Name == name, ct);
    }

    /// <summary>Sends one tiny uncached request, so a user learns at once whether URL, model and key work.</summary>
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
                new ChatOptions { MaxOutputTokens = 8 }, timeout.Token);
            return new(true, $"Connected: {endpoint.Model} answered in {watch.ElapsedMilliseconds} ms.", (int)watch.ElapsedMilliseconds);
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
}
