using MudBlazor;

namespace SelfLong.Web.Components.Layout;

public static class SelfLongTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight { Primary = "#3f51b5", Secondary = "#0CD79F", AppbarBackground = "#283593" },
        PaletteDark = new PaletteDark { Primary = "#7986cb", Secondary = "#0CD79F" },
    };
}
