using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.ModelCalls;

namespace SelfLong.Jobs.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>Service names, told apart in a trace viewer; OTEL_SERVICE_NAME overrides them.</summary>
    public const string WebService = "selflong-web";
    public const string WorkerService = "selflong-worker";
    public const string CommandService = "selflong-cli";

    /// <summary>
    /// Traces and metrics of HTTP requests (served and sent), Hangfire jobs, model calls, Npgsql
    /// and the runtime, exported over OTLP as OpenTelemetry's standard variables say. When nothing
    /// asks for them (<see cref="TelemetryOptions.Signals"/>) no provider is registered: nothing
    /// listens, so every span start returns null and every instrument stays disabled.
    /// </summary>
    public static IHostApplicationBuilder AddSelfLongTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        builder.Services.AddValidatedOptions<TelemetryOptions>(TelemetryOptions.Section);
        var configuration = builder.Configuration;
        var (traces, metrics) = TelemetryOptions.Signals(configuration);
        if (!traces && !metrics) return builder;

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] ?? serviceName,
                serviceVersion: typeof(TelemetryExtensions).Assembly.GetName().Version?.ToString()));
        if (traces) otel.WithTracing(tracing =>
        {
            tracing.AddSource(JobTracing.Name, ModelCallTelemetry.Name)
                .AddProcessor(new DatabaseSpansInTraces())
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsql();
            if (TelemetryOptions.ExportsOtlp(configuration, "TRACES")) tracing.AddOtlpExporter();
        });
        if (metrics) otel.WithMetrics(meters =>
        {
            meters.AddMeter(ModelCallTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation();
            if (TelemetryOptions.ExportsOtlp(configuration, "METRICS")) meters.AddOtlpExporter();
        });
        return builder;
    }

    /// <summary>
    /// Starts collecting in a host whose services are used without starting the host (a
    /// command-line verb): the providers listen from when they are first resolved, which a started
    /// host does for itself. Disposing the host flushes what they hold. Nothing when telemetry is off.
    /// </summary>
    public static void StartSelfLongTelemetry(this IServiceProvider services)
    {
        services.GetService<TracerProvider>();
        services.GetService<MeterProvider>();
    }

    /// <summary>
    /// Keeps database commands that belong to a request or a job, and drops the rest: Hangfire polls
    /// its queues and the reaper sweeps runs every few seconds, and each of those commands alone
    /// would be a trace of its own that buries the ones worth reading.
    /// </summary>
    private sealed class DatabaseSpansInTraces : BaseProcessor<Activity>
    {
        public override void OnStart(Activity data)
        {
            if (data.Source.Name != "Npgsql" || data.Parent is not null || data.ParentSpanId != default) return;
            data.IsAllDataRequested = false;
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }
}
