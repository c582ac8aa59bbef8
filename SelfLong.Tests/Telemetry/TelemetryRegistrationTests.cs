using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Jobs.Telemetry;

namespace SelfLong.Tests.Telemetry;

/// <summary>When the app collects telemetry, and that off it registers nothing that listens.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryRegistrationTests
{
    private static IHost Build(params (string Key, string Value)[] settings)
    {
        // No defaults: the machine's own OTEL_* variables stay out of the test.
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.AddSelfLongTelemetry(TelemetryExtensions.WorkerService);
        return builder.Build();
    }

    [Fact]
    public async Task AddSelfLongTelemetry_NothingConfigured_RegistersNoProviderAndNothingListens()
    {
        using var host = Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.Null(host.Services.GetService<MeterProvider>());
        Assert.False(new ActivitySource(JobTracing.Name).HasListeners());
        Assert.False(new ActivitySource(ModelCallTelemetry.Name).HasListeners());
        Assert.Null(JobTracing.StartRunHere("EvaluationRun", 1));
        Assert.Null(ModelCallTelemetry.Start(new ModelCallTarget("k", "Endpoint 'k'", TimeSpan.FromSeconds(1))));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void AddSelfLongTelemetry_OtlpEndpointSet_ListensToJobsAndModelCalls()
    {
        using var host = Build(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"));

        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
        Assert.True(new ActivitySource(JobTracing.Name).HasListeners());
        Assert.True(new ActivitySource(ModelCallTelemetry.Name).HasListeners());
        using var span = JobTracing.StartRunHere("EvaluationRun", 7);
        Assert.Equal(7L, span?.GetTagItem(JobTracing.RunId));
    }

    [Theory]
    [InlineData("", "", "", "", false, false)]
    [InlineData("http://collector:4317", "", "", "", true, true)]
    [InlineData("http://collector:4317", "none", "", "", false, true)]
    [InlineData("", "otlp", "", "", true, false)]
    [InlineData("", "", "otlp", "", false, true)]
    [InlineData("", "", "", "true", true, true)]
    [InlineData("http://collector:4317", "", "", "", false, false, "true")]
    public void Signals_StandardVariablesAndSetting_DecideWhatIsCollected(string endpoint, string tracesExporter, string metricsExporter,
        string enabled, bool traces, bool metrics, string sdkDisabled = "")
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_TRACES_EXPORTER"] = tracesExporter == "" ? null : tracesExporter,
            ["OTEL_METRICS_EXPORTER"] = metricsExporter == "" ? null : metricsExporter,
            ["SelfLong:Telemetry:Enabled"] = enabled,
            ["OTEL_SDK_DISABLED"] = sdkDisabled,
        }).Build();

        Assert.Equal((traces, metrics), TelemetryOptions.Signals(configuration));
    }

    [Theory]
    [InlineData("http://jaeger:16686/trace")]
    [InlineData("jaeger/trace/{traceId}")]
    [InlineData("javascript:alert('{traceId}')")]
    public async Task Start_TraceUrlTemplateWithoutPlaceholderOrNotHttp_FailsNamingTheSetting(string template)
    {
        using var host = Build(("SelfLong:Telemetry:TraceUrlTemplate", template));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("SelfLong:Telemetry:TraceUrlTemplate", error.Message);
    }

    [Fact]
    public void TraceUrl_Template_PutsTheTraceIdInIt()
    {
        using var host = Build(("SelfLong:Telemetry:TraceUrlTemplate", "http://jaeger:16686/trace/{traceId}"));

        var options = host.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;

        Assert.Equal("http://jaeger:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736", options.TraceUrl("4bf92f3577b34da6a3ce929d0e0e4736"));
    }
}
