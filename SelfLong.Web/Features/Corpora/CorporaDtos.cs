using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Data.Runs;

namespace SelfLong.Web.Features.Corpora;

public sealed record CorpusDetailsDto(CorpusSummary Corpus, IReadOnlyList<LengthBucket> LengthHistogram);

public sealed record DocumentDto(long Id, long CorpusId, string Title, string Text, int TokenCount, string Source, bool HadInvalidUtf8);

public sealed record SearchHitDto(long ChunkId, long DocumentId, string DocumentTitle, int ChunkIndex, int TokenCount, double Score,
    IReadOnlyList<TextSegment> Segments);

public sealed record IngestionIssueDto(string Severity, string Location, string Message);

public sealed record IngestionFileDto(long Id, string FileName, long SizeBytes, string Status, long Documents, long Duplicates,
    long Chunks, long Tokens, long Errors, string? Message, IReadOnlyList<IngestionIssueDto> Issues);

public sealed record IngestionRunDto(long Id, long CorpusId, string Status, bool CancelRequested, int Files, int FilesDone,
    long Documents, long Duplicates, long Chunks, long Tokens, long Errors, string? Message, DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt, IReadOnlyList<IngestionFileDto> FileList)
{
    public bool Finished => Status is nameof(RunStatus.Succeeded) or nameof(RunStatus.Failed) or nameof(RunStatus.Cancelled);

    public static IngestionRunDto From(IngestionRun r) => new(r.Id, r.CorpusId, r.Status.ToString(), r.CancelRequested, r.Files,
        r.FilesDone, r.Documents, r.Duplicates, r.Chunks, r.Tokens, r.Errors, r.Message, r.CreatedAt, r.CompletedAt,
        r.FileList.Select(f => new IngestionFileDto(f.Id, f.FileName, f.SizeBytes, f.Status.ToString(), f.Documents, f.Duplicates,
            f.Chunks, f.Tokens, f.Errors, f.Message,
            f.Issues.Select(i => new IngestionIssueDto(i.Severity.ToString(), i.Location, i.Message)).ToList())).ToList());
}
