using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SelfLong.Jobs.Hosting;

public static class ValidatedOptions
{
    /// <summary>
    /// Binds a configuration section and checks its [Range]/[Required] rules when the host starts, so a
    /// wrong value stops the app or worker at once with the key named, not a job hours later.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string section) where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    /// <summary>A positive size or count.</summary>
    public sealed class PositiveAttribute() : RangeAttribute(1L, long.MaxValue)
    {
        public override string FormatErrorMessage(string name) => $"{name} must be at least 1.";
    }
}
