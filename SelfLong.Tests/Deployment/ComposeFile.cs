using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace SelfLong.Tests.Deployment;

/// <summary>
/// docker-compose.yml as the app would see it: each service's environment turned into the app's
/// configuration (<c>A__B</c> is <c>A:B</c>), with <c>${VAR:-default}</c> taken at its default (no
/// variable is set when the file is checked) and other <c>${VAR}</c> references left as a placeholder.
/// </summary>
internal sealed partial class ComposeFile
{
    private readonly YamlMappingNode root;

    private ComposeFile(YamlMappingNode root) => this.root = root;

    /// <summary>The checkout's folder: the one above the test binaries that holds SelfLong.sln.</summary>
    public static string Checkout()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "SelfLong.sln"))) return folder.FullName;
        throw new InvalidOperationException($"No SelfLong.sln above {AppContext.BaseDirectory}.");
    }

    public static ComposeFile Load()
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Checkout(), "docker-compose.yml"));
        stream.Load(reader);
        return new ComposeFile((YamlMappingNode)stream.Documents.Single().RootNode);
    }

    public IReadOnlyDictionary<string, YamlMappingNode> Services =>
        Map(root, "services")!.Children.ToDictionary(c => Text(c.Key), c => (YamlMappingNode)c.Value);

    /// <summary>Services that run SelfLong (the dashboard or a worker), not the database.</summary>
    public IReadOnlyDictionary<string, YamlMappingNode> AppServices =>
        Services.Where(s => Command(s.Value).FirstOrDefault()?.StartsWith("SelfLong.", StringComparison.Ordinal) == true)
            .ToDictionary(s => s.Key, s => s.Value);

    public IReadOnlySet<string> NamedVolumes => Map(root, "volumes")?.Children.Keys.Select(Text).ToHashSet() ?? [];

    public static IReadOnlyList<string> Command(YamlMappingNode service) =>
        service.Children.TryGetValue("command", out var command) ? [.. ((YamlSequenceNode)command).Children.Select(c => Resolve(Text(c)))] : [];

    public static IConfiguration Configuration(YamlMappingNode service) => new ConfigurationBuilder()
        .AddInMemoryCollection(Environment(service).Select(e => new KeyValuePair<string, string?>(e.Key.Replace("__", ":"), e.Value)))
        .Build();

    public static IReadOnlyDictionary<string, string> Environment(YamlMappingNode service) =>
        Map(service, "environment")?.Children.ToDictionary(c => Text(c.Key), c => Resolve(Text(c.Value))) ?? [];

    /// <summary>(source, target) of each mount, "pgdata:/var/lib/..." style.</summary>
    public static IReadOnlyList<(string Source, string Target)> Mounts(YamlMappingNode service) =>
        service.Children.TryGetValue("volumes", out var volumes)
            ? [.. ((YamlSequenceNode)volumes).Children.Select(v => Text(v).Split(':')).Select(p => (p[0], p[1]))]
            : [];

    public static YamlMappingNode? Map(YamlMappingNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (!node.Children.TryGetValue(key, out var child) || child is not YamlMappingNode map) return null;
            node = map;
        }
        return node;
    }

    /// <summary>A compose byte size ("3g", "512m", "1gb", "65536").</summary>
    public static long Bytes(string size)
    {
        var match = ByteSize().Match(size.Trim());
        if (!match.Success) throw new FormatException($"'{size}' is not a byte size.");
        var unit = match.Groups["unit"].Value.ToLowerInvariant();
        var scale = unit switch { "" or "b" => 1L, "k" => 1L << 10, "m" => 1L << 20, "g" => 1L << 30, _ => throw new FormatException(unit) };
        return long.Parse(match.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture) * scale;
    }

    [GeneratedRegex(@"^(?<n>[0-9]+)(?<unit>[bkmgBKMG]?)[bB]?$")]
    private static partial Regex ByteSize();

    public static string Text(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    /// <summary>A value with <c>${VAR:-default}</c> at its default and other references as <c>&lt;VAR&gt;</c>.</summary>
    public static string Resolve(string value) => Reference().Replace(value, m => m.Groups["default"].Success ? m.Groups["default"].Value : $"<{m.Groups["name"].Value}>");

    [GeneratedRegex(@"\$\{(?<name>[A-Z0-9_]+)(?::-(?<default>[^}]*)|:\?[^}]*)?\}")]
    private static partial Regex Reference();
}
