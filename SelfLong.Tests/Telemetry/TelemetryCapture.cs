using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SelfLong.Jobs.Telemetry;

namespace SelfLong.Tests.Telemetry;

/// <summary>
/// Telemetry tests share the process's one set of activity and meter listeners (a provider listens
/// to every source of its names, in any host of the process): they run alone, one after another.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}

/// <summary>
/// The app's own telemetry registration (<see cref="TelemetryExtensions.AddSelfLongTelemetry"/>),
/// switched on by its setting, with OTLP left out (OTEL_*_EXPORTER=none) and in-memory exporters
/// added in its place. While it lives it sees every span and measurement of the process.
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    private readonly IHost host;
    private readonly List<Activity> spans = [];
    private readonly List<MetricSnapshot> metrics = [];

    public TelemetryCapture()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SelfLong:Telemetry:Enabled"] = "true",
            ["OTEL_TRACES_EXPORTER"] = "none",
            ["OTEL_METRICS_EXPORTER"] = "none",
        });
        builder.AddSelfLongTelemetry("selflong-test");
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));
        builder.Services.ConfigureOpenTelemetryMeterProvider(meters => meters.AddInMemoryExporter(metrics));
        host = builder.Build();
        Tracer = host.Services.GetRequiredService<TracerProvider>();
        Meters = host.Services.GetRequiredService<MeterProvider>();
    }

    public TracerProvider Tracer { get; }
    public MeterProvider Meters { get; }

    /// <summary>The spans ended so far.</summary>
    public IReadOnlyList<Activity> Spans
    {
        get
        {
            Tracer.ForceFlush();
            lock (spans) return [.. spans];
        }
    }

    /// <summary>Collects now and returns the points of one metric whose tags include every given tag.</summary>
    public IReadOnlyList<MetricPoint> Points(string metric, params (string Key, object Value)[] tags)
    {
        lock (metrics) metrics.Clear();
        Meters.ForceFlush();
        lock (metrics)
        {
            return [.. metrics.Where(m => m.Name == metric).SelectMany(m => m.MetricPoints)
                .Where(p => tags.All(t => Tag(p, t.Key) is { } value && Equals(value, t.Value)))];
        }
    }

    /// <summary>The sum of a counter's points with the given tags (cumulative, so everything since the capture began).</summary>
    public long Sum(string metric, params (string Key, object Value)[] tags) => Points(metric, tags).Sum(p => p.GetSumLong());

    public static object? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
            if (tag.Key == key) return tag.Value;
        return null;
    }

    public void Dispose() => host.Dispose();
}
