using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SelfLong.Jobs.Demo;

namespace SelfLong.Jobs.Storage;

/// <summary>What a user-entered path must name.</summary>
public enum ServerPathKind
{
    File,
    Folder,
}

/// <summary>
/// The sandbox for server paths a user enters (a checkpoint or tokenizer folder, a training data
/// file): the path must resolve, after every symlink, to a regular file or a folder under one of
/// <see cref="StorageOptions.AllowedRoots"/>. Everything else gets the same message, so the
/// server's file system cannot be probed through it; callers store the resolved path, so what a
/// job later opens is exactly what was checked.
/// </summary>
public sealed class ServerPaths(IOptions<StorageOptions> storage, IConfiguration configuration)
{
    /// <summary>A sandbox with exactly these roots (for command-line hosts and tests that build services by hand).</summary>
    public static ServerPaths Under(params string[] roots) =>
        new(Options.Create(new StorageOptions { AllowedRoots = roots }), new ConfigurationBuilder().Build());

    /// <summary>Pseudo-file systems that are never data, whatever the roots say.</summary>
    private static readonly string[] NeverAllowed = ["/proc", "/sys", "/dev"];

    /// <summary>The one message for a path that cannot be used, whatever the reason.</summary>
    public static string Refusal(ServerPathKind kind) => kind == ServerPathKind.File
        ? "This is not a file SelfLong may read: give a file under the server's allowed folders (SelfLong:Storage:AllowedRoots)."
        : "This is not a folder SelfLong may read: give a folder under the server's allowed folders (SelfLong:Storage:AllowedRoots).";

    /// <summary>The allowed roots as configured, or the project's data folders; relative ones are under the working directory.</summary>
    public IReadOnlyList<string> ConfiguredRoots => storage.Value.AllowedRoots is { Length: > 0 } roots
        ? roots
        : [RunFolders.RunsDirectory(configuration), storage.Value.ModelsDirectory];

    /// <summary>
    /// The configured roots, the uploaded training data files (SelfLong's own, whatever the roots
    /// say), and the demo's shipped base checkpoint (operator-provided, read-only; the demo trains
    /// from it through the same checks as any run).
    /// </summary>
    private IEnumerable<string> Roots()
    {
        var demo = configuration.GetSection(DemoOptions.Section).Get<DemoOptions>() ?? new DemoOptions();
        IEnumerable<string> own = [.. ConfiguredRoots, RunFolders.DataFilesDirectory(configuration)];
        return demo.ResolveBase() is { } demoBase ? [.. own, demoBase] : own;
    }

    /// <summary>The real path of <paramref name="path"/> when it may be used as <paramref name="kind"/>; null otherwise.</summary>
    public string? Resolve(string? path, ServerPathKind kind)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        var real = RealPath(path.Trim());
        if (real is null || NeverAllowed.Any(p => IsUnder(real, p))) return null;
        if (!Roots().Select(RealPath).OfType<string>().Any(root => IsUnder(real, root))) return null;
        var kindMatches = kind == ServerPathKind.File ? FileKind.IsRegularFile(real) : FileKind.IsDirectory(real);
        return kindMatches ? real : null;
    }

    /// <summary>The resolved path, or <see cref="Refusal"/> as the error.</summary>
    public (string? Path, string? Error) Check(string? path, ServerPathKind kind) =>
        Resolve(path, kind) is { } real ? (real, null) : (null, Refusal(kind));

    private static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    /// <summary>
    /// The path with every symlink resolved, component by component (like realpath(3)); null when
    /// a component is missing or unreadable or links loop. The result has no links and no "..".
    /// </summary>
    internal static string? RealPath(string path)
    {
        const int maxLinks = 40;
        var pending = new Stack<string>(Components(Path.GetFullPath(path)).Reverse());
        var current = "/";
        var links = 0;
        try
        {
            while (pending.TryPop(out var part))
            {
                var next = Path.Join(current, part);
                if (!File.Exists(next) && !Directory.Exists(next)) return null;
                if (new FileInfo(next).LinkTarget is not { } target)
                {
                    current = next;
                    continue;
                }
                if (++links > maxLinks) return null;
                // Restart from the link's target (relative to the folder holding the link) with the rest still to walk.
                var rest = pending.ToArray();
                pending.Clear();
                foreach (var p in rest.Reverse()) pending.Push(p);
                foreach (var p in Components(Path.GetFullPath(target, current)).Reverse()) pending.Push(p);
                current = "/";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
        return current;
    }

    private static string[] Components(string fullPath) => fullPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
