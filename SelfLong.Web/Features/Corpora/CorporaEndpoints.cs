using SelfLong.Web.Features.Account;
using Microsoft.AspNetCore.Http.HttpResults;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Corpora.Retrieval;

namespace SelfLong.Web.Features.Corpora;

/// <summary>The corpora REST API: corpora, uploads and their ingestion runs, documents, search.</summary>
public static class CorporaEndpoints
{
    public static IEndpointRouteBuilder MapCorporaEndpoints(this IEndpointRouteBuilder app)
    {
        var corpora = app.MapGroup("/api/corpora").WithTags("Corpora").ReadsForViewersChangesForEditors();
        corpora.MapGet("/", (CorpusService service, int? page, int? pageSize, string? search, CancellationToken ct) =>
            service.ListAsync(page ?? 0, pageSize ?? 20, search, ct));
        corpora.MapPost("/", CreateAsync);
        corpora.MapGet("/{id:long}", GetAsync);
        corpora.MapDelete("/{id:long}", async Task<Results<NoContent, NotFound>> (long id, CorpusService service, CancellationToken ct) =>
            await service.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound());
        corpora.MapGet("/{id:long}/documents", async Task<Results<Ok<Page<DocumentSummary>>, NotFound>> (long id, int? page, int? pageSize,
            string? title, CorpusService service, CancellationToken ct) =>
            await service.GetAsync(id, ct) is null ? TypedResults.NotFound() : TypedResults.Ok(await service.DocumentsAsync(id, page ?? 0, pageSize ?? 50, title, ct)));
        corpora.MapGet("/{id:long}/search", SearchAsync);
        corpora.MapPost("/{id:long}/uploads", UploadAsync).DisableAntiforgery().RequireRateLimiting(SelfLong.Web.Features.Account.RateLimits.Upload)
            .Accepts<IFormFileCollection>("multipart/form-data");
        corpora.MapPost("/{id:long}/reembed", async Task<Results<Accepted, NotFound, ValidationProblem>> (long id, EmbedderChange change,
            CorpusService service, CorpusReembedder reembedder, CancellationToken ct) =>
        {
            if (await service.GetAsync(id, ct) is null) return TypedResults.NotFound();
            var errors = await reembedder.EnqueueAsync(id, change, ct);
            return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Accepted($"/api/corpora/{id}");
        });
        corpora.MapGet("/{id:long}/ingestions", async (long id, IngestionService ingestion, CancellationToken ct) =>
            (await ingestion.RecentAsync(id, 20, ct)).Select(IngestionRunDto.From).ToList());
        corpora.MapPost("/demo", async (DemoCorpora demo, CancellationToken ct) =>
            TypedResults.Ok((await demo.LoadAsync(ct: ct)).Select(IngestionRunDto.From).ToList())).DisableAntiforgery();

        app.MapGet("/api/documents/{id:long}", async Task<Results<Ok<DocumentDto>, NotFound>> (long id, CorpusService service, CancellationToken ct) =>
            await service.DocumentAsync(id, ct) is { } d
                ? TypedResults.Ok(new DocumentDto(d.Id, d.CorpusId, d.Title, d.Text, d.TokenCount, d.Source, d.HadInvalidUtf8))
                : TypedResults.NotFound()).WithTags("Corpora").ReadsForViewersChangesForEditors();

        var ingestions = app.MapGroup("/api/ingestions").WithTags("Corpora").ReadsForViewersChangesForEditors();
        ingestions.MapGet("/{id:long}", async Task<Results<Ok<IngestionRunDto>, NotFound>> (long id, IngestionService ingestion, CancellationToken ct) =>
            await ingestion.FindAsync(id, ct) is { } run ? TypedResults.Ok(IngestionRunDto.From(run)) : TypedResults.NotFound());
        ingestions.MapPost("/{id:long}/cancel", async Task<Results<Accepted, NotFound>> (long id, IngestionService ingestion, CancellationToken ct) =>
            await ingestion.CancelAsync(id, ct) ? TypedResults.Accepted($"/api/ingestions/{id}") : TypedResults.NotFound()).DisableAntiforgery();
        return app;
    }

    private static async Task<Results<Created<CorpusSummary>, ValidationProblem>> CreateAsync(CorpusSettings settings, CorpusService service, CancellationToken ct)
    {
        var (corpus, errors) = await service.CreateAsync(settings, ct);
        return corpus is null ? TypedResults.ValidationProblem(errors) : TypedResults.Created($"/api/corpora/{corpus.Id}", corpus);
    }

    private static async Task<Results<Ok<CorpusDetailsDto>, NotFound>> GetAsync(long id, CorpusService service, CancellationToken ct) =>
        await service.GetAsync(id, ct) is { } corpus
            ? TypedResults.Ok(new CorpusDetailsDto(corpus, await service.LengthHistogramAsync(id, ct)))
            : TypedResults.NotFound();

    private static async Task<Results<Ok<List<SearchHitDto>>, NotFound, ValidationProblem>> SearchAsync(long id, string? q, int? k, RetrievalMode? mode,
        CorpusService service, ICorpusRetriever retriever, SearchHighlighter highlighter, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(q)) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["q"] = ["Type what to search for."] });
        if (k is < 1 or > 100) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["k"] = ["k must be from 1 to 100."] });
        if (await service.GetAsync(id, ct) is null) return TypedResults.NotFound();
        return TypedResults.Ok(await SearchWithHighlightsAsync(retriever, highlighter, id, q, k ?? 10, mode ?? RetrievalMode.Hybrid, ct));
    }

    public static async Task<List<SearchHitDto>> SearchWithHighlightsAsync(ICorpusRetriever retriever, SearchHighlighter highlighter,
        long corpusId, string query, int k, RetrievalMode mode, CancellationToken ct)
    {
        var hits = await retriever.SearchAsync(corpusId, query, k, mode, ct);
        var segments = await highlighter.HighlightAsync(corpusId, query, hits, ct);
        return hits.Select(h => new SearchHitDto(h.ChunkId, h.DocumentId, h.DocumentTitle, h.ChunkIndex, h.TokenCount, h.Score, segments[h.ChunkId])).ToList();
    }

    private static async Task<Results<Accepted<IngestionRunDto>, NotFound, ValidationProblem>> UploadAsync(long id, HttpRequest request,
        CorpusService service, UploadReceiver receiver, IngestionService ingestion, CancellationToken ct)
    {
        if (await service.GetAsync(id, ct) is null) return TypedResults.NotFound();
        var (files, error) = await receiver.ReceiveAsync(request, ct);
        if (error is not null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["files"] = [error] });
        IngestionRun run;
        try
        {
            // The files are stored: the run is recorded even if the client has gone, so its job ends by removing them.
            run = await ingestion.StartAsync(id, files, ct: CancellationToken.None);
        }
        catch
        {
            await receiver.RemoveAsync([.. files.Where(f => f.UploadId is not null).Select(f => f.UploadId!.Value)]);
            throw;
        }
        var started = await ingestion.FindAsync(run.Id, ct);
        return TypedResults.Accepted($"/api/ingestions/{run.Id}", IngestionRunDto.From(started!));
    }
}
