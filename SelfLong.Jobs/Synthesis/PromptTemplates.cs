using System.Reflection;
using System.Text.Json;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// The prompt templates of the four steps and of back-translation. The defaults are versioned files
/// under Synthesis/Prompts; a run stores the exact texts it used (possibly a user's edited copy).
/// Placeholders are written <c>{{name}}</c>.
/// </summary>
public sealed record PromptTemplates(string Instruction, string Summarize, string Respond, string BackTranslate)
{
    public const string InstructionName = "instruction.v1";
    public const string SummarizeName = "summarize.v1";
    public const string RespondName = "respond.v1";
    public const string BackTranslateName = "back-translate.v1";

    public static PromptTemplates Default { get; } = new(
        Load(InstructionName), Load(SummarizeName), Load(RespondName), Load(BackTranslateName));

    public Dictionary<string, string> ToDictionary() => new()
    {
        [InstructionName] = Instruction, [SummarizeName] = Summarize, [RespondName] = Respond, [BackTranslateName] = BackTranslate,
    };

    public string ToJson() => JsonSerializer.Serialize(ToDictionary());

    public static PromptTemplates FromJson(string json)
    {
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
        return new(map.GetValueOrDefault(InstructionName, Default.Instruction), map.GetValueOrDefault(SummarizeName, Default.Summarize),
            map.GetValueOrDefault(RespondName, Default.Respond), map.GetValueOrDefault(BackTranslateName, Default.BackTranslate));
    }

    /// <summary>Every template must keep the placeholders its step fills in.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        Require(InstructionName, Instruction, "seed_chunk", "instruction_type");
        Require(SummarizeName, Summarize, "instruction", "text");
        Require(RespondName, Respond, "instruction", "summaries");
        Require(BackTranslateName, BackTranslate, "document");
        return errors;

        void Require(string name, string text, params string[] placeholders)
        {
            var missing = placeholders.Where(p => !text.Contains("{{" + p + "}}", StringComparison.Ordinal)).ToList();
            if (missing.Count > 0) errors[name] = [$"Template {name} must contain {string.Join(", ", missing.Select(p => "{{" + p + "}}"))}."];
        }
    }

    public static string Render(string template, params (string Name, string Value)[] values)
    {
        var text = template;
        foreach (var (name, value) in values) text = text.Replace("{{" + name + "}}", value, StringComparison.Ordinal);
        return text;
    }

    private static string Load(string name)
    {
        var assembly = Assembly.GetExecutingAssembly();
        var resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith($"Prompts.{name}.txt", StringComparison.Ordinal));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
        return reader.ReadToEnd().TrimEnd();
    }
}
