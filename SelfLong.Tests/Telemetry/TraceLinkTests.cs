using Bunit;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using SelfLong.Jobs.Telemetry;
using SelfLong.Web.Components.Runs;

namespace SelfLong.Tests.Telemetry;

/// <summary>How a job page shows a run's trace.</summary>
public sealed class TraceLinkTests : BunitContext
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

    public TraceLinkTests() => Services.AddMudServices();

    private IRenderedComponent<TraceLink> Render(string? template, string? traceId)
    {
        Services.AddSingleton(Options.Create(new TelemetryOptions { TraceUrlTemplate = template }));
        return Render<TraceLink>(p => p.Add(l => l.TraceId, traceId));
    }

    [Fact]
    public void TraceLink_ViewerConfigured_LinksTheTraceInANewTab()
    {
        var link = Render("http://jaeger:16686/trace/{traceId}", TraceId).Find("[data-testid=trace-link]");

        Assert.Equal($"http://jaeger:16686/trace/{TraceId}", link.GetAttribute("href"));
        Assert.Equal("_blank", link.GetAttribute("target"));
        Assert.Contains(TraceId, link.TextContent);
    }

    [Fact]
    public void TraceLink_NoViewer_ShowsTheIdWithoutALink()
    {
        var rendered = Render(null, TraceId);

        Assert.Contains(TraceId, rendered.Find("[data-testid=trace-id]").TextContent);
        Assert.Empty(rendered.FindAll("a"));
    }

    [Fact]
    public void TraceLink_RunNeverTraced_ShowsNothing() => Assert.Equal("", Render("http://jaeger:16686/trace/{traceId}", null).Markup.Trim());
}
