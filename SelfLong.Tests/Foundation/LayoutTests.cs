using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor.Services;
using SelfLong.Web.Components.Layout;

namespace SelfLong.Tests.Foundation;

public sealed class LayoutTests : BunitContext
{
    public LayoutTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        AddAuthorization().SetAuthorized("admin@selflong.test");
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void NavMenu_Renders_EverySection()
    {
        var menu = Render<NavMenu>();
        var links = menu.FindAll("a").Select(a => (a.GetAttribute("href"), a.TextContent.Trim())).ToList();
        Assert.Equal(
            [("/", "Overview"), ("/corpora", "Corpora"), ("/synthesis", "Synthesis"), ("/training", "Training"),
             ("/evaluation", "Evaluation"), ("/job-queue", "Jobs"), ("/api-reference", "API"), ("/account", "Account")],
            links);
    }

    [Fact]
    public void MainLayout_Renders_AppBarNavigationAndBody()
    {
        var layout = Render<MainLayout>(p => p.Add(l => l.Body, builder => builder.AddMarkupContent(0, "<p id=\"body\">content</p>")));
        Assert.Contains("SelfLong", layout.Find(".mud-appbar").TextContent);
        Assert.Contains("admin@selflong.test", layout.Markup);
        Assert.NotNull(layout.Find("#body"));
        Assert.Equal(8, layout.FindAll(".mud-nav-link").Count);
        Assert.NotNull(layout.Find("[data-testid=theme-toggle]"));
    }
}
