using System.Text;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Text;

namespace SelfLong.Tests.Evaluation;

/// <summary>One generator over the bundled prose and small hand-made QA sets, shared because preparing it tokenizes the prose.</summary>
internal static class RulerFixtures
{
    private static readonly Lazy<RulerGenerator> Shared = new(() => new RulerGenerator(RulerResources.Create(
        TiktokenTokenCounter.Default, squad: QaDataset.Parse(QaDatasetKind.Squad, Utf8(SquadJson)),
        hotpotQa: QaDataset.Parse(QaDatasetKind.HotpotQa, Utf8(HotpotJson)))));

    public static RulerGenerator Generator => Shared.Value;

    public static int Count(string text) => TiktokenTokenCounter.Default.CountTokens(text);

    private static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>SQuAD v2 shape: two articles, one unanswerable question that must be skipped.</summary>
    public static string SquadJson => $$"""
        {"version": "v2.0", "data": [
          {"title": "Harbour", "paragraphs": [
            {"context": "The harbour of Nantucket was busy in winter. Whalers left from its wharves.", "qas": [
              {"question": "Where did whalers leave from?", "id": "q1", "answers": [{"text": "its wharves", "answer_start": 60}], "is_impossible": false},
              {"question": "Who owned the moon?", "id": "q2", "answers": [], "is_impossible": true}]},
            {"context": "A lighthouse stood at the end of the pier. Its keeper was called Amos.", "qas": [
              {"question": "What was the keeper called?", "id": "q3", "answers": [{"text": "Amos", "answer_start": 66}], "is_impossible": false}]}]},
          {"title": "Filler", "paragraphs": [{{string.Join(",", Enumerable.Range(0, 250).Select(i =>
              $$"""{"context": "Filler paragraph {{i}} talks about ropes, sails and the colour of the sea on day {{i}}.", "qas": []}"""))}}]}
        ]}
        """;

    /// <summary>HotpotQA distractor shape: each question with its own paragraphs as [title, sentences].</summary>
    public static string HotpotJson => "[" + string.Join(",", Enumerable.Range(0, 200).Select(i => $$"""
        {"_id": "h{{i}}", "question": "Which ship did captain {{i}} command?", "answer": "Vessel{{i}}",
         "context": [["Captain {{i}}", ["Captain {{i}} commanded the Vessel{{i}}. ", "He sailed often."]],
                     ["Harbour {{i}}", ["Harbour {{i}} was quiet. ", "Gulls flew over it."]]]}
        """)) + "]";
}
