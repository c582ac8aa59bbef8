using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace SelfLong.Jobs.Telemetry;

/// <summary>
/// SelfLong's own telemetry settings, bound from <c>SelfLong:Telemetry</c>. Where data goes is
/// OpenTelemetry's standard environment (OTEL_EXPORTER_OTLP_ENDPOINT and the rest), read by the SDK.
/// </summary>
public sealed class TelemetryOptions : IValidatableObject
{
    public const string Section = "SelfLong:Telemetry";

    public const string TraceIdPlaceholder = "{traceId}";

    /// <summary>Turns traces and metrics on without an OTEL_* variable (OTLP then goes to the SDK's default, localhost:4317).</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Where a trace can be seen, with <c>{traceId}</c> for its id, e.g. <c>http://jaeger:16686/trace/{traceId}</c>:
    /// job pages link a run's trace there. Unset, they show the id alone.
    /// </summary>
    public string? TraceUrlTemplate { get; set; }

    /// <summary>The trace viewer's address of one trace, or null when no viewer is configured.</summary>
    public string? TraceUrl(string traceId) =>
        string.IsNullOrWhiteSpace(TraceUrlTemplate) ? null : TraceUrlTemplate.Replace(TraceIdPlaceholder, Uri.EscapeDataString(traceId), StringComparison.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(TraceUrlTemplate)) yield break;
        if (!TraceUrlTemplate.Contains(TraceIdPlaceholder, StringComparison.Ordinal)
            || !Uri.TryCreate(TraceUrlTemplate.Replace(TraceIdPlaceholder, "0", StringComparison.Ordinal), UriKind.Absolute, out var url)
            || url.Scheme is not ("http" or "https"))
            yield return new ValidationResult(
                $"{Section}:TraceUrlTemplate must be an http(s) address with {TraceIdPlaceholder} in it, e.g. http://jaeger:16686/trace/{TraceIdPlaceholder}.",
                [nameof(TraceUrlTemplate)]);
    }

    /// <summary>
    /// Which signals to collect: on when OTEL_SDK_DISABLED is not true and either the standard
    /// variables ask for OTLP (an endpoint, or OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER = otlp)
    /// or <see cref="Enabled"/> is set; a signal whose exporter variable says "none" is left out
    /// unless <see cref="Enabled"/> collects it for an exporter added in code.
    /// </summary>
    public static (bool Traces, bool Metrics) Signals(IConfiguration configuration)
    {
        if (string.Equals(configuration["OTEL_SDK_DISABLED"], "true", StringComparison.OrdinalIgnoreCase)) return (false, false);
        // A value that is not a boolean is reported by the options binding as the host starts, with its key.
        var enabled = bool.TryParse(configuration[$"{Section}:{nameof(Enabled)}"], out var on) && on;
        var endpoint = Set(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        bool Wanted(string signal)
        {
            var exporter = configuration[$"OTEL_{signal}_EXPORTER"];
            return enabled || IsOtlp(exporter) || (exporter is null && (endpoint || Set(configuration[$"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"])));
        }
        return (Wanted("TRACES"), Wanted("METRICS"));
    }

    /// <summary>Whether a signal is sent over OTLP: its exporter variable is unset (the standard default) or says otlp.</summary>
    public static bool ExportsOtlp(IConfiguration configuration, string signal) =>
        configuration[$"OTEL_{signal}_EXPORTER"] is not { } exporter || IsOtlp(exporter);

    private static bool IsOtlp(string? exporter) =>
        exporter?.Split(',', StringSplitOptions.TrimEntries).Contains("otlp", StringComparer.OrdinalIgnoreCase) == true;

    private static bool Set(string? value) => !string.IsNullOrWhiteSpace(value);
}
