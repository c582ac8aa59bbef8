namespace SelfLong.Data.Identity;

/// <summary>What a personal API token may do: read (what a Viewer may) or write (what its owner's role may).</summary>
public enum ApiTokenScope
{
    Read,
    Write,
}

/// <summary>
/// A personal API token, sent as <c>Authorization: Bearer</c>. Only its SHA-256 hash is stored:
/// the token itself is shown once, when it is created. Tokens are 256 random bits, so a plain
/// hash (no salt, no stretching) is enough to make a leaked table useless.
/// </summary>
public sealed class ApiToken
{
    public long Id { get; set; }
    public string UserId { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>The token's first characters, so its owner can tell tokens apart in a list.</summary>
    public string Prefix { get; set; } = "";
    /// <summary>SHA-256 of the token, lower-case hex.</summary>
    public string Hash { get; set; } = "";
    public ApiTokenScope Scope { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}
