using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Playwright;
using SelfLong.Jobs.Corpora;

namespace SelfLong.Jobs.Load;

/// <summary>Latencies of one phase, in milliseconds.</summary>
public sealed record Latency(int Count, double P50, double P95, double P99, double Max)
{
    public static Latency Of(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToList();
        if (sorted.Count == 0) return new Latency(0, 0, 0, 0, 0);
        double P(double p) => Math.Round(CorpusBenchQueries.Percentile(sorted, p), 1);
        return new Latency(sorted.Count, P(0.50), P(0.95), P(0.99), Math.Round(sorted[^1], 1));
    }
}

/// <summary>One phase: N circuits browsing at once.</summary>
public sealed record CircuitPhase(int Circuits, Latency PageLoadMs, Latency InteractionMs, int Errors, int Dropped, double Seconds);

/// <summary>
/// Signed-in dashboard sessions in headless Chromium (Debian's, as the browser tests use): each
/// tab is its own Blazor circuit. A page load is a full navigation until the circuit renders
/// interactively; an interaction is a click on a menu link until the circuit has rendered the new
/// page (its title), a round trip over the circuit's SignalR connection with the page's queries.
/// </summary>
public sealed class CircuitLoad : IAsyncDisposable
{
    /// <summary>The menu's pages and their titles, visited in turn by every circuit.</summary>
    private static readonly (string Href, string Title)[] Pages =
    [
        ("/corpora", "Corpora"), ("/synthesis", "Synthesis"), ("/training", "Training"),
        ("/evaluation", "Evaluation"), ("/job-queue", "Jobs"), ("/", "Overview"),
    ];

    private readonly IPlaywright playwright;
    private readonly IBrowser browser;
    private readonly IBrowserContext context;

    private CircuitLoad(IPlaywright playwright, IBrowser browser, IBrowserContext context)
    {
        this.playwright = playwright;
        this.browser = browser;
        this.context = context;
    }

    /// <summary>Starts Chromium and signs in once through the real form; every circuit shares the sign-in cookie.</summary>
    public static async Task<CircuitLoad> SignInAsync(Uri address, string email, string password)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("SELFLONG_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-renderer-backgrounding", "--disable-background-timer-throttling"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address.ToString() });
        // Generous: a slow answer under load is measured, not counted as an error.
        context.SetDefaultTimeout(120_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/account/signin");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#signin-submit");
        await page.WaitForURLAsync(url => !url.Contains("/account/signin"));
        await page.CloseAsync();
        return new CircuitLoad(playwright, browser, context);
    }

    /// <summary><paramref name="circuits"/> tabs at once, each loading a page, clicking through the menu <paramref name="rounds"/> times, then reloading.</summary>
    public async Task<CircuitPhase> RunAsync(int circuits, int rounds)
    {
        var loads = new ConcurrentBag<double>();
        var clicks = new ConcurrentBag<double>();
        var errors = 0;
        var dropped = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, circuits).Select(async i =>
        {
            var page = await context.NewPageAsync();
            var pageErrors = 0;
            page.PageError += (_, e) => { Interlocked.Increment(ref pageErrors); Console.Error.WriteLine($"circuit {i}: page error: {e}"); };
            page.Response += (_, r) => { if (r.Status >= 500) { Interlocked.Increment(ref pageErrors); Console.Error.WriteLine($"circuit {i}: HTTP {r.Status} {r.Url}"); } };
            try
            {
                loads.Add(await LoadAsync(page, Pages[i % Pages.Length].Href));
                for (var round = 0; round < rounds; round++)
                    foreach (var (href, title) in Pages.Skip(1 + i % Pages.Length).Concat(Pages.Take(1 + i % Pages.Length)))
                        clicks.Add(await ClickAsync(page, href, title));
                loads.Add(await LoadAsync(page, page.Url));
                if (await DroppedAsync(page)) Interlocked.Increment(ref dropped);
            }
            catch (Exception e) when (e is PlaywrightException or TimeoutException)
            {
                Interlocked.Increment(ref errors);
                Console.Error.WriteLine($"circuit {i}: {e.Message.Split('\n')[0]}");
                if (await DroppedAsync(page)) Interlocked.Increment(ref dropped);
            }
            finally
            {
                Interlocked.Add(ref errors, pageErrors);
                await page.CloseAsync();
            }
        }));
        return new CircuitPhase(circuits, Latency.Of(loads), Latency.Of(clicks), errors, dropped, Math.Round(watch.Elapsed.TotalSeconds, 1));
    }

    private static async Task<double> LoadAsync(IPage page, string url)
    {
        var watch = Stopwatch.StartNew();
        await page.GotoAsync(url);
        await page.WaitForSelectorAsync("body[data-interactive='true']");
        return watch.Elapsed.TotalMilliseconds;
    }

    private static async Task<double> ClickAsync(IPage page, string href, string title)
    {
        var watch = Stopwatch.StartNew();
        await page.ClickAsync($"a.mud-nav-link[href='{href}']");
        await page.WaitForFunctionAsync("t => document.title === t", $"{title} · SelfLong");
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>A circuit whose connection was lost shows Blazor's reconnect dialog.</summary>
    private static async Task<bool> DroppedAsync(IPage page)
    {
        try
        {
            return await page.EvaluateAsync<bool>(
                "() => { const m = document.getElementById('components-reconnect-modal'); return !!m && (m.open === true || /components-reconnect-(show|failed|rejected)/.test(m.className)); }");
        }
        catch (PlaywrightException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await context.DisposeAsync();
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
