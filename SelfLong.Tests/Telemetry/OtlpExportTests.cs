using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SelfLong.Jobs.Load;
using SelfLong.Jobs.Telemetry;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Telemetry;

/// <summary>
/// OTLP export as OpenTelemetry's standard variables configure it, from the dashboard as its own
/// process to a collector stand-in on 127.0.0.1; and, with the variables unset, no exporter at all.
/// </summary>
[NeedsDatabase]
[Collection(TelemetryCollection.Name)]
public sealed class OtlpExportTests(AppFixture app) : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string? database;

    [Fact]
    public async Task Dashboard_OtlpEndpointAndHttpProtobufVariables_ExportsTheRequestsTraceNamingTheService()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        database = await TestPostgres.CreateMigratedDatabaseAsync("otlp");
        var settings = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            // Spans leave in batches every 5 s by default; a quarter second keeps the test short.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "250",
        };
        using var dashboard = await DashboardProcess.StartAsync(TestPostgres.ConnectionStringFor(database), AppFixture.AdminEmail,
            $"Pw-{Guid.NewGuid():N}", settings, Ct);
        using var client = new HttpClient { BaseAddress = dashboard.Address };

        using var response = await client.GetAsync("/api/training/runs", Ct);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        var export = await Poll.UntilAsync(() => Task.FromResult(collector.Received("/v1/traces").FirstOrDefault(b => Contains(b.Body, "/api/training/runs"))),
            b => b is not null, "a trace export holding the request's span", TimeSpan.FromSeconds(60),
            describe: _ => string.Join(", ", collector.Paths()));
        Assert.Equal("application/x-protobuf", export!.ContentType);
        Assert.True(Contains(export.Body, TelemetryExtensions.WebService), "the export's resource names the service");
    }

    [Fact]
    public void SuiteApp_NoOtelVariables_RegistersNoTracerOrMeterProvider()
    {
        // The suite app is the dashboard and workers in one process, built as they are, with the
        // standard variables unset: nothing to export, so nothing is registered to collect.
        var configuration = app.Services.GetRequiredService<IConfiguration>();
        Assert.True(TelemetryOptions.Signals(configuration) == (false, false),
            "OTEL_* variables are set in this test's environment; the suite app cannot show telemetry off");

        Assert.Null(app.Services.GetService<TracerProvider>());
        Assert.Null(app.Services.GetService<MeterProvider>());
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    public async ValueTask DisposeAsync()
    {
        if (database is not null) await TestPostgres.DropDatabaseAsync(database);
    }

    public sealed record Export(string Path, string? ContentType, byte[] Body);

    /// <summary>An OTLP/HTTP collector stand-in: accepts every POST under /v1 and keeps what it got.</summary>
    private sealed class OtlpReceiver : IAsyncDisposable
    {
        private readonly WebApplication receiver;
        private readonly ConcurrentQueue<Export> exports = new();

        private OtlpReceiver(WebApplication receiver) => this.receiver = receiver;

        public Uri Address { get; private set; } = null!;

        public static async Task<OtlpReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var collector = new OtlpReceiver(app);
            app.MapPost("/v1/{signal}", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                collector.exports.Enqueue(new Export(context.Request.Path, context.Request.ContentType, body.ToArray()));
                // An empty Export*ServiceResponse: everything accepted.
                return Results.Bytes([], "application/x-protobuf");
            });
            await app.StartAsync();
            collector.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
            return collector;
        }

        public IEnumerable<Export> Received(string path) => exports.Where(e => e.Path == path);

        public IEnumerable<string> Paths() => exports.Select(e => e.Path);

        public async ValueTask DisposeAsync()
        {
            await receiver.StopAsync();
            await receiver.DisposeAsync();
        }
    }
}
