using SelfLong.Jobs.Models;

namespace SelfLong.Tests.Models;

public sealed class TorchDevicesTests
{
    [Theory]
    [InlineData("VmHWM:\t13167580 kB", 13167580L * 1024)]
    [InlineData("VmHWM:   123456 kB", 123456L * 1024)]
    public void ParseStatusKilobytes_TabOrSpaces_ReadsTheFigure(string line, long bytes) =>
        Assert.Equal(bytes, TorchDevices.ParseStatusKilobytes(line));

    [Fact]
    public void ParseStatusKilobytes_NoFigure_ThrowsFormatException() =>
        Assert.Throws<FormatException>(() => TorchDevices.ParseStatusKilobytes("VmHWM:"));

    [Fact]
    public void ResetPeakResident_ThenPeakResidentBytes_ReadsWithoutError()
    {
        TorchDevices.ResetPeakResident();
        Assert.True(TorchDevices.PeakResidentBytes() >= 0);
    }
}
