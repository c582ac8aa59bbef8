namespace SelfLong.Jobs.Accounts;

/// <summary>
/// The three roles: an Admin manages users, model endpoints and settings and does everything
/// else; an Editor creates, cancels and deletes runs and corpora; a Viewer reads.
/// </summary>
public static class Roles
{
    public const string Admin = "Admin";
    public const string Editor = "Editor";
    public const string Viewer = "Viewer";

    public static readonly string[] All = [Admin, Editor, Viewer];
}
