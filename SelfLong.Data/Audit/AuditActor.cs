namespace SelfLong.Data.Audit;

/// <summary>
/// Who is acting on this logical call: set for a web request (from its signed-in user), for each
/// event of an interactive page (from the circuit's user) and for a CLI verb. Ambient, so the
/// services that change data need no "who" parameter; background jobs act for nobody and are not
/// audited (the action that queued them is).
/// </summary>
public sealed record AuditActor(string Name, string Via)
{
    public const string Page = "page";
    public const string Api = "api";
    public const string Token = "token";
    public const string Cli = "cli";

    private static readonly AsyncLocal<AuditActor?> current = new();

    public static AuditActor? Current
    {
        get => current.Value;
        set => current.Value = value;
    }

    /// <summary>Acts as <paramref name="actor"/> until the result is disposed, then as before.</summary>
    public static IDisposable Use(AuditActor? actor)
    {
        var before = current.Value;
        current.Value = actor;
        return new Restore(before);
    }

    private sealed class Restore(AuditActor? before) : IDisposable
    {
        public void Dispose() => current.Value = before;
    }
}
