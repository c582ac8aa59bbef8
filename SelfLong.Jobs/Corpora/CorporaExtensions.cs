using SelfLong.Jobs.Hosting;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Corpora.Retrieval;

namespace SelfLong.Jobs.Corpora;

public static class CorporaExtensions
{
    public static IServiceCollection AddCorpora(this IServiceCollection services)
    {
        services.AddValidatedOptions<CorporaOptions>(CorporaOptions.Section);
        services.AddSingleton<CorpusEmbedders>();
        services.AddSingleton<UploadStore>();
        services.AddTransient<CorpusService>();
        services.AddTransient<IngestionService>();
        services.AddTransient<IngestionPipeline>();
        services.AddTransient<IngestionJob>();
        services.AddTransient<DemoCorpora>();
        services.AddTransient<CorpusReembedder>();
        services.AddTransient<CorpusReembedJob>();
        services.AddSingleton<PgCorpusRetriever>();
        services.AddSingleton<ICorpusRetriever>(sp => sp.GetRequiredService<PgCorpusRetriever>());
        services.AddSingleton<SearchHighlighter>();
        services.AddSingleton<SelfLong.Jobs.Synthesis.ICorpusNames, CorpusNames>();
        services.AddSingleton<SelfLong.Jobs.Evaluation.IHaystackSource, CorpusHaystackSource>();
        return services;
    }
}
