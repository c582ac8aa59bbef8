using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SelfLong.Data.Corpora;
using SelfLong.Data.Endpoints;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Synthesis;
using SelfLong.Data.Training;

namespace SelfLong.Data.Audit;

/// <summary>
/// Records every created, changed or deleted run, corpus, endpoint, QA dataset and training data file saved while a
/// person is acting (<see cref="AuditActor.Current"/>), whichever page, API route or service
/// saved it. Accounts and tokens are recorded by what was done to them (UserAdministration,
/// ApiTokens): Identity saves several rows per action (role rows, stamps), which say it badly.
/// </summary>
public sealed class AuditInterceptor : SaveChangesInterceptor
{
    public static readonly AuditInterceptor Instance = new();

    private static readonly Dictionary<Type, string> Kinds = new()
    {
        [typeof(Corpus)] = "corpus",
        [typeof(IngestionRun)] = "ingestion run",
        [typeof(SynthesisRun)] = "synthesis run",
        [typeof(TrainingRun)] = "training run",
        [typeof(TrainingDataFile)] = "training data file",
        [typeof(EvaluationRun)] = "evaluation run",
        [typeof(QaDatasetFile)] = "QA dataset",
        [typeof(ModelEndpoint)] = "endpoint",
    };

    /// <summary>Fields the app sets beside a person's change (the queued job's id): a save changing only these is not an action.</summary>
    private static readonly HashSet<string> Bookkeeping = ["HangfireJobId", "TraceId"];

    private sealed record Pending(EntityEntry Entry, string Action, string Kind, object? Id, string? Detail);

    // Added rows get their ids on save: the entries wait here until SavedChanges.
    private readonly ConditionalWeakTable<DbContext, List<Pending>> pending = [];

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        Collect(eventData.Context);
        return base.SavingChangesAsync(eventData, result, ct);
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return base.SavingChanges(eventData, result);
    }

    public override async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken ct = default)
    {
        if (Flush(eventData.Context) is { } db) await db.SaveChangesAsync(ct);
        return result;
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Flush(eventData.Context)?.SaveChanges();
        return result;
    }

    private void Collect(DbContext? context)
    {
        if (AuditActor.Current is null || context is null) return;
        var changes = context.ChangeTracker.Entries()
            .Where(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted && Kinds.ContainsKey(e.Metadata.ClrType))
            .Where(e => e.State != EntityState.Modified || e.Properties.Any(p => p.IsModified && !Bookkeeping.Contains(p.Metadata.Name)))
            .Select(Describe).ToList();
        if (changes.Count > 0) pending.AddOrUpdate(context, changes);
    }

    /// <summary>Adds the waiting entries, now that added rows have ids; the caller saves them.</summary>
    private SelfLongDbContext? Flush(DbContext? context)
    {
        if (context is not SelfLongDbContext db || !pending.TryGetValue(db, out var changes)) return null;
        pending.Remove(db);
        if (AuditActor.Current is not { } actor) return null;
        foreach (var change in changes)
            db.AuditLog.Add(AuditTrail.Entry(actor, change.Action, change.Kind, change.Id ?? IdOf(change.Entry), change.Detail));
        return db;
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData)
    {
        if (eventData.Context is { } context) pending.Remove(context);
    }

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken ct = default)
    {
        SaveChangesFailed(eventData);
        return Task.CompletedTask;
    }

    private static Pending Describe(EntityEntry entry)
    {
        var (action, id) = entry.State switch
        {
            EntityState.Added => (AuditTrail.Created, null),
            EntityState.Deleted => (AuditTrail.Deleted, IdOf(entry)),
            _ => (AuditTrail.Changed, IdOf(entry)),
        };
        var name = entry.Metadata.FindProperty("Name") is { } p ? entry.Property(p.Name).CurrentValue as string : null;
        // Field names only: an endpoint's protected API key is one of them.
        var fields = entry.State == EntityState.Modified
            ? string.Join(", ", entry.Properties.Where(p => p.IsModified && !Bookkeeping.Contains(p.Metadata.Name)).Select(p => p.Metadata.Name == "Status" ? $"Status: {p.CurrentValue}" : p.Metadata.Name))
            : null;
        var detail = string.Join("; ", new[] { name, fields }.Where(s => !string.IsNullOrEmpty(s)));
        return new Pending(entry, action, Kinds[entry.Metadata.ClrType], id, detail.Length > 0 ? detail : null);
    }

    private static object? IdOf(EntityEntry entry) =>
        entry.Metadata.FindPrimaryKey()?.Properties is [var key] ? entry.Property(key.Name).CurrentValue : null;
}
