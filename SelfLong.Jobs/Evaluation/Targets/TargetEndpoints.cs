using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SelfLong.Data;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.ModelCalls;

namespace SelfLong.Jobs.Evaluation.Targets;

/// <summary>
/// Evaluation targets and judges are rows of the endpoints table like synthesis models, so they
/// share the call cache, the concurrency limit across workers and the one model-call policy. One
/// is chosen from the table, or entered by address in the form or on the command line, where it is
/// found among the rows (same URL, model and key) or added to them.
/// </summary>
public sealed class TargetEndpoints(IDbContextFactory<SelfLongDbContext> dbFactory, EndpointSecrets secrets, IOptions<ModelCallOptions> calls,
    OutboundAddresses outbound, ModelEndpointService declared)
{
    /// <summary>Calls in flight per endpoint added here, the evaluation runner's own concurrency.</summary>
    public const int DefaultConcurrency = 4;

    /// <summary>The endpoints a target or judge can be: OpenAI-compatible servers with a model, by name.</summary>
    public async Task<IReadOnlyList<(long Id, string Name, string Model)>> ListAsync(CancellationToken ct)
    {
        // Endpoints declared in configuration are created on first use, here as in synthesis.
        await declared.EnsureConfiguredAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.ModelEndpoints.AsNoTracking().Where(e => e.Kind == ModelEndpointKind.OpenAiCompatible && e.BaseUrl != null && e.Model != null)
            .OrderBy(e => e.Name).Select(e => new { e.Id, e.Name, e.Model }).ToListAsync(ct);
        return rows.Select(r => (r.Id, r.Name, r.Model!)).ToList();
    }

    public async Task<ModelEndpoint> FindAsync(long id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var endpoint = await db.ModelEndpoints.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id, ct)
            ?? throw new ArgumentException($"There is no model endpoint #{id}; choose one from the endpoints table.");
        if (endpoint.Kind != ModelEndpointKind.OpenAiCompatible || string.IsNullOrWhiteSpace(endpoint.BaseUrl) || string.IsNullOrWhiteSpace(endpoint.Model))
            throw new ArgumentException($"Endpoint '{endpoint.Name}' is not an OpenAI-compatible server with a model; evaluate a local checkpoint by its folder.");
        return endpoint;
    }

    public async Task<ModelEndpoint> FindAsync(string name, CancellationToken ct)
    {
        await declared.EnsureConfiguredAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var id = await db.ModelEndpoints.Where(e => e.Name == name.Trim()).Select(e => (long?)e.Id).SingleOrDefaultAsync(ct)
            ?? throw new ArgumentException($"There is no model endpoint named '{name}'.");
        return await FindAsync(id, ct);
    }

    /// <summary>The row for this server, model and key, added when there is none.</summary>
    public async Task<ModelEndpoint> EnsureAsync(string baseUrl, string model, string? apiKey, int contextWindow, CancellationToken ct)
    {
        var url = baseUrl.Trim();
        model = model.Trim();
        // The same refusal as the endpoints form: no link-local or cloud-metadata addresses.
        if (await outbound.ProblemAsync(url, ct) is { } problem) throw new ArgumentException(problem);
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var candidates = await db.ModelEndpoints.AsNoTracking()
                .Where(e => e.Kind == ModelEndpointKind.OpenAiCompatible && e.BaseUrl == url && e.Model == model).OrderBy(e => e.Id).ToListAsync(ct);
            // Keys are protected with a fresh nonce each time, so rows are compared by what they open to.
            if (candidates.FirstOrDefault(e => (secrets.Unprotect(e.ProtectedApiKey) ?? "") == (apiKey ?? "")) is { } found) return found;
            var endpoint = new ModelEndpoint
            {
                Name = await FreeNameAsync(db, $"{model} at {new Uri(url).Authority}", ct), Kind = ModelEndpointKind.OpenAiCompatible,
                BaseUrl = url, Model = model, ProtectedApiKey = secrets.Protect(apiKey),
                ContextWindow = Math.Clamp(contextWindow, 512, 10_000_000), MaxConcurrency = DefaultConcurrency,
                // Long prompts take long to prefill: an evaluation's attempt timeout, not a synthesis call's.
                TimeoutSeconds = (int)Math.Clamp(calls.Value.EvaluationAttemptTimeout.TotalSeconds, 1, 3600),
            };
            db.ModelEndpoints.Add(endpoint);
            try
            {
                await db.SaveChangesAsync(ct);
                return endpoint;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Another run added the same server (or took the name) just now: look again.
            }
        }
    }

    private static async Task<string> FreeNameAsync(SelfLongDbContext db, string name, CancellationToken ct)
    {
        name = name.Length > 90 ? name[..90] : name;
        var taken = await db.ModelEndpoints.Where(e => e.Name.StartsWith(name)).Select(e => e.Name).ToListAsync(ct);
        var candidate = name;
        for (var n = 2; taken.Contains(candidate); n++) candidate = $"{name} ({n})";
        return candidate;
    }
}
