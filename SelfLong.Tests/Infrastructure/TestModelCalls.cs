using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SelfLong.Jobs.ModelCalls;

namespace SelfLong.Tests.Infrastructure;

/// <summary>The real model-call policy with waits short enough for tests.</summary>
public static class TestModelCalls
{
    public static ModelCallOptions Options(int attempts = 5) => new()
    {
        Attempts = attempts,
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
    };

    public static ModelCallPolicy Policy(int attempts = 5) =>
        new(Microsoft.Extensions.Options.Options.Create(Options(attempts)), NullLogger<ModelCallPolicy>.Instance);
}
