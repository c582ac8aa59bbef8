namespace SelfLong.Data.Audit;

/// <summary>One thing a person did: who, when, what, and to which run, corpus, endpoint, user or token.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; } = DateTimeOffset.UtcNow;
    /// <summary>The account's email, or what was typed on a failed sign-in.</summary>
    public string Actor { get; set; } = "";
    /// <summary>How the actor came: "page", "api", "token" or "cli".</summary>
    public string Via { get; set; } = "";
    /// <summary>created, changed, deleted, signed-in, sign-in-failed, token-used.</summary>
    public string Action { get; set; } = "";
    /// <summary>What kind of thing: "synthesis run", "corpus", "endpoint", "user", "api token", ...</summary>
    public string TargetKind { get; set; } = "";
    public string? TargetId { get; set; }
    /// <summary>The target's name where it has one, and which fields changed (never their values: some are secrets).</summary>
    public string? Detail { get; set; }
}
