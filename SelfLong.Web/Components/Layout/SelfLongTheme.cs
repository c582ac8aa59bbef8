using MudBlazor;

namespace SelfLong.Web.Components.Layout;

public static class SelfLongTheme
{
    public static readonly MudTheme Theme = new()
    {
        // Status colours dark enough for white text at WCAG AA (4.5:1): chips and alerts stay readable.
        PaletteLight = new PaletteLight
        {
            Primary = "#3f51b5", Secondary = "#0CD79F", AppbarBackground = "#283593",
            Success = "#2e7d32", Info = "#1565c0", Warning = "#b45309", Error = "#c62828",
        },
        PaletteDark = new PaletteDark { Primary = "#7986cb", Secondary = "#0CD79F" },
    };
}
