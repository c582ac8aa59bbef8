using Microsoft.EntityFrameworkCore;

namespace SelfLong.Data.Audit;

/// <summary>Writes audit entries for the current <see cref="AuditActor"/>.</summary>
public static class AuditTrail
{
    public const string Created = "created";
    public const string Changed = "changed";
    public const string Deleted = "deleted";
    public const string SignedIn = "signed-in";
    public const string SignInFailed = "sign-in-failed";
    public const string TokenUsed = "token-used";
    public const string Invited = "invited";
    public const string InviteAccepted = "invite-accepted";

    public static AuditEntry Entry(AuditActor actor, string action, string targetKind, object? targetId, string? detail) => new()
    {
        Actor = Clip(actor.Name, 256),
        Via = actor.Via,
        Action = action,
        TargetKind = targetKind,
        TargetId = targetId?.ToString(),
        Detail = detail is null ? null : Clip(detail, 2000),
    };

    /// <summary>
    /// Records an action that bypasses change tracking (ExecuteUpdate, ExecuteDelete) or that the
    /// tracked rows do not say well (an account's role). Nothing when nobody is acting.
    /// </summary>
    public static async Task RecordAsync(this SelfLongDbContext db, string action, string targetKind, object? targetId, string? detail = null, CancellationToken ct = default)
    {
        if (AuditActor.Current is not { } actor) return;
        db.AuditLog.Add(Entry(actor, action, targetKind, targetId, detail));
        await db.SaveChangesAsync(ct);
    }

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max];
}
