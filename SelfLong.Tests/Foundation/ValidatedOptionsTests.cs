using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Tests.Foundation;

public sealed class ValidatedOptionsTests
{
    private static IServiceProvider With(params (string Key, string Value)[] settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());
        services.AddValidatedOptions<JobsOptions>(JobsOptions.Section);
        services.AddValidatedOptions<CorporaOptions>(CorporaOptions.Section);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Value_OutOfRange_NamesTheKeyAndTheRule()
    {
        var services = With(("SelfLong:Jobs:WorkerCount", "0"), ("SelfLong:Corpora:EmbeddingBatchSize", "100000"));

        var jobs = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<JobsOptions>>().Value);
        Assert.Contains("WorkerCount", jobs.Message);
        Assert.Contains("between 1 and 1024", jobs.Message);
        var corpora = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CorporaOptions>>().Value);
        Assert.Contains("EmbeddingBatchSize", corpora.Message);
    }

    [Fact]
    public void Defaults_AndValuesInRange_Pass()
    {
        var services = With(("SelfLong:Jobs:WorkerCount", "8"), ("SelfLong:Corpora:MaxFileBytes", "1048576"));

        Assert.Equal(8, services.GetRequiredService<IOptions<JobsOptions>>().Value.WorkerCount);
        Assert.Equal(1 << 20, services.GetRequiredService<IOptions<CorporaOptions>>().Value.MaxFileBytes);
    }

    [Theory]
    [InlineData("HnswTuneTargetRecall", "1.5")]
    [InlineData("HnswTuneQueries", "-1")]
    [InlineData("HnswTuneMaxEfSearch", "1001")]
    public void EfSearchTuning_OutOfRange_NamesTheKey(string key, string value)
    {
        var services = With(($"SelfLong:Corpora:{key}", value));

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CorporaOptions>>().Value);
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void NegativeSize_RefusedAsNotPositive()
    {
        var services = With(("SelfLong:Corpora:MaxDocumentBytes", "-5"));

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CorporaOptions>>().Value);
        Assert.Contains("MaxDocumentBytes must be at least 1.", error.Message);
    }
}
