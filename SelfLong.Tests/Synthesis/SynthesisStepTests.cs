using System.Text.Json;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Synthesis;
using SelfLong.Jobs.Text;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

[NeedsDatabase]
public sealed class SynthesisStepTests
{
    private static readonly ITokenCounter Tokens = TiktokenTokenCounter.Default;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string UserPrompt(System.Text.Json.Nodes.JsonObject request) =>
        request["messages"]!.AsArray().Last()!["content"]!.GetValue<string>();

    private static async Task<ChatSynthesisModel> ChatModelAsync(SynthesisTestHost host, OpenAiTestServer server, SynthesisSettings settings, int contextWindow = 8192) =>
        new(await host.AddChatEndpointAsync(server, contextWindow: contextWindow), host.Get<LlmClient>(), Tokens, PromptTemplates.Default, settings, new SynthesisCallStats(), 11);

    [Fact]
    public async Task InstructionGenerator_ChatModel_PutsSeedChunkInFrontAndAsksForDrawnType()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.ChatResponder = _ => "Instruction: \"Compare how whaling ports grew.\"";
        await using var host = await SynthesisTestHost.CreateAsync();
        var settings = new SynthesisSettings { InstructionMix = new() { ["comparison"] = 1 } };

        var generated = await host.Get<InstructionGenerator>().GenerateAsync(
            await ChatModelAsync(host, server, settings), HandMadeCorpusRetriever.CorpusId, settings, new Random(3), Ct);

        Assert.Equal("comparison", generated.Type);
        Assert.Equal("Compare how whaling ports grew.", generated.Instruction);
        var prompt = UserPrompt(server.Requests.Single());
        Assert.True(prompt.IndexOf(generated.SeedChunk.Text, StringComparison.Ordinal) is >= 0 and var at
            && at < prompt.IndexOf("Write one comparison instruction", StringComparison.Ordinal));
    }

    [Fact]
    public void DrawType_Mix_FollowsWeights()
    {
        var mix = new Dictionary<string, double> { ["a"] = 3, ["b"] = 1, ["never"] = 0 };
        var random = new Random(7);
        var draws = Enumerable.Range(0, 4000).Select(_ => InstructionGenerator.DrawType(mix, random)).ToList();

        Assert.DoesNotContain("never", draws);
        Assert.InRange(draws.Count(d => d == "a") / 4000.0, 0.72, 0.78);
    }

    [Fact]
    public async Task RelevantDocumentRetriever_TargetLength_AddsWholeDocumentsUntilReached()
    {
        var corpus = new HandMadeCorpusRetriever();
        var retriever = new RelevantDocumentRetriever(corpus);

        var small = await retriever.RetrieveAsync(HandMadeCorpusRetriever.CorpusId, "sperm whales squid", 100, 3, Tokens, Ct);
        var large = await retriever.RetrieveAsync(HandMadeCorpusRetriever.CorpusId, "sperm whales squid", 2_000, 3, Tokens, Ct);
        var everything = await retriever.RetrieveAsync(HandMadeCorpusRetriever.CorpusId, "sperm whales squid", 1_000_000, 3, Tokens, Ct);

        Assert.Single(small);
        Assert.Equal("Sperm whales", small[0].Document.Title);
        Assert.True(large.Sum(d => d.Document.TokenCount) >= 2_000);
        Assert.True(large.SkipLast(1).Sum(d => d.Document.TokenCount) < 2_000);
        Assert.Equal(corpus.Documents.Count, everything.Count);
        Assert.Equal(everything.Count, everything.Select(d => d.Document.DocumentId).Distinct().Count());
    }

    [Fact]
    public async Task RelevantDocumentRetriever_ByteTargetTokenizer_MeasuresTheTargetInBytes()
    {
        var corpus = new HandMadeCorpusRetriever();

        var chosen = await new RelevantDocumentRetriever(corpus).RetrieveAsync(
            HandMadeCorpusRetriever.CorpusId, "sperm whales squid", 2_000, 3, TokenCounters.Resolve(TokenCounters.Bytes), Ct);

        // The documents' own lengths are in bytes, and whole documents are added until 2,000 bytes are reached.
        Assert.All(chosen, d => Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(d.Document.Text), d.Document.TokenCount));
        Assert.True(chosen.Sum(d => d.Document.TokenCount) >= 2_000);
        Assert.True(chosen.SkipLast(1).Sum(d => d.Document.TokenCount) < 2_000);
        Assert.True(chosen.Sum(d => Tokens.CountTokens(d.Document.Text)) < 2_000, "the same documents are fewer than 2,000 cl100k tokens");
    }

    [Fact]
    public async Task RecursiveSummarizer_LongInput_SummarizesLevelByLevelUntilItFitsTheWindow()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        // 90-token summaries, each different, so no two prompts are the same (the cache would answer).
        server.ChatResponder = messages => OpenAiTestServer.DefaultChatAnswer(messages)[7..] + string.Concat(Enumerable.Repeat(" alpha", 88));
        await using var host = await SynthesisTestHost.CreateAsync();
        var settings = new SynthesisSettings { ChunkTokens = 200, SummaryTokens = 100, ResponseTokens = 64 };
        var model = await ChatModelAsync(host, server, settings, contextWindow: 600);
        var corpus = new HandMadeCorpusRetriever(sentencesPerDocument: 60);
        var documents = corpus.Documents.Take(3).Select((d, i) => new RetrievedDocument(d, 1, i + 1)).ToList();
        const string instruction = "Explain how whaling ships were built.";
        var summarizer = new RecursiveSummarizer(Tokens);

        var tree = await summarizer.SummarizeAsync(model, instruction, documents, settings, Ct);

        var chunks = documents.SelectMany(d => summarizer.Chunk(d.Document.Text, 200)).ToList();
        Assert.Equal(chunks.Count, tree.Levels[0].Count);
        Assert.All(tree.Levels[0], n => Assert.True(n.TokenCount <= 200));
        Assert.Equal(chunks.Count, tree.Levels[1].Count);
        for (var level = 2; level < tree.Levels.Count; level++)
        {
            Assert.Equal((tree.Levels[level - 1].Count + 1) / 2, tree.Levels[level].Count);
        }
        Assert.True(tree.Depth >= 3, $"depth {tree.Depth} for {chunks.Count} chunks");
        Assert.True(tree.Levels[^1].Sum(n => n.TokenCount) <= summarizer.Budget(model, instruction, settings));
        Assert.True(tree.Levels[^2].Sum(n => n.TokenCount) > summarizer.Budget(model, instruction, settings));
        // One call per chunk, then one per group of two or more; lone summaries are carried up free.
        var expectedCalls = chunks.Count + tree.Levels.Skip(2).Sum(l => l.Count(n => n.Children.Count >= 2));
        Assert.Equal(expectedCalls, server.RequestCount);
        var prompts = server.Requests.Select(UserPrompt).ToList();
        Assert.All(prompts, p => Assert.Contains($"Instruction: {instruction}", p));
        Assert.Contains(prompts, p => p.Contains(chunks[0], StringComparison.Ordinal));
        var group = tree.Levels[2][0];
        var children = string.Join("\n\n", group.Children.Select(c => tree.Levels[1][c].Text));
        Assert.Contains(prompts, p => p.Contains(children, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RecursiveSummarizer_WindowTooSmall_SaysWhatToChange()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var model = new ExtractiveSynthesisModel(Tokens, contextWindow: 700);
        var settings = new SynthesisSettings { ResponseTokens = 400 };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new RecursiveSummarizer(Tokens)
            .SummarizeAsync(model, "Why?", [], settings, Ct));

        Assert.Contains("larger window", error.Message);
    }

    [Fact]
    public async Task SampleSynthesizer_ChatModel_InputIsDocumentsThenInstructionAndTargetIsResponse()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.ChatResponder = messages => messages[^1].Content switch
        {
            var p when p.Contains("Write one ") => "How did whaling ports and ships depend on each other?",
            var p when p.Contains("Summarize the text above") => $"Summary {p.Length}.",
            _ => "Ports and ships grew together.",
        };
        await using var host = await SynthesisTestHost.CreateAsync();
        var settings = new SynthesisSettings { MinTargetTokens = 1500, MaxTargetTokens = 1500, LongOutputFraction = 0, ChunkTokens = 512, SummaryTokens = 128 };
        var model = await ChatModelAsync(host, server, settings);

        var sample = await host.Get<SampleSynthesizer>().SynthesizeAsync(
            new SynthesisContext(HandMadeCorpusRetriever.CorpusId, 9, settings, model, Tokens), 0, Ct);

        Assert.Equal(SampleKind.LongInput, sample.Kind);
        Assert.Equal("How did whaling ports and ships depend on each other?", sample.Instruction);
        Assert.EndsWith("\n\n" + sample.Instruction, sample.Input);
        var retrieved = JsonSerializer.Deserialize<List<RetrievedDocumentStep>>(sample.RetrievedJson)!;
        var corpus = new HandMadeCorpusRetriever();
        Assert.True(retrieved.Sum(d => d.TokenCount) >= 1500);
        Assert.All(retrieved, d => Assert.Contains(corpus.Documents.Single(x => x.DocumentId == d.DocumentId).Text, sample.Input));
        Assert.Equal("Ports and ships grew together.", sample.Target);
        Assert.Equal(Tokens.CountTokens(sample.Input), sample.InputTokens);
        Assert.Equal(Tokens.CountTokens(sample.Target), sample.TargetTokens);
        var respondPrompt = UserPrompt(server.Requests[^1]);
        var tree = JsonSerializer.Deserialize<List<List<SummaryNode>>>(sample.SummaryTreeJson)!;
        Assert.All(tree[^1], n => Assert.Contains(n.Text, respondPrompt));
        Assert.Contains($"Instruction: {sample.Instruction}", respondPrompt);
    }

    [Fact]
    public async Task SampleSynthesizer_LongOutput_DocumentIsTheResponseWithLengthHint()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.ChatResponder = _ => "Write a history of whale oil.";
        await using var host = await SynthesisTestHost.CreateAsync();
        var settings = new SynthesisSettings { LongOutputFraction = 1, LongOutputMinTokens = 100, LongOutputMaxTokens = 5_000 };
        var model = await ChatModelAsync(host, server, settings);

        var sample = await host.Get<SampleSynthesizer>().SynthesizeAsync(
            new SynthesisContext(HandMadeCorpusRetriever.CorpusId, 9, settings, model, Tokens), 3, Ct);

        Assert.Equal(SampleKind.LongOutput, sample.Kind);
        var document = new HandMadeCorpusRetriever().Documents.Single(d => d.Text == sample.Target);
        var words = document.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.Equal($"Write a history of whale oil. The answer should be about {words} words long.", sample.Input);
        Assert.Contains(document.Text, UserPrompt(server.Requests.Single()));
    }

    [Fact]
    public async Task ExtractiveModel_WholeSample_UsesNoModelAndOnlyTextFromTheCorpus()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var settings = new SynthesisSettings { MinTargetTokens = 800, MaxTargetTokens = 800, LongOutputFraction = 0, ChunkTokens = 256, SummaryTokens = 64, ResponseTokens = 64 };
        var model = new ExtractiveSynthesisModel(Tokens, contextWindow: 600);

        var sample = await host.Get<SampleSynthesizer>().SynthesizeAsync(
            new SynthesisContext(HandMadeCorpusRetriever.CorpusId, 2, settings, model, Tokens), 1, Ct);

        var phrases = ExtractiveSynthesisModel.KeyPhrases(sample.SeedChunkText!, 3);
        Assert.Contains(phrases[0], sample.Instruction);
        var tree = JsonSerializer.Deserialize<List<List<SummaryNode>>>(sample.SummaryTreeJson)!;
        Assert.True(tree.Count >= 2);
        var sentences = tree.Skip(1).SelectMany(l => l).Select(n => n.Text).Append(sample.Response).SelectMany(t => t.Split(". "));
        var corpusText = string.Join(" ", new HandMadeCorpusRetriever().Documents.Select(d => d.Text));
        Assert.All(sentences, s => Assert.Contains(s.TrimEnd('.'), corpusText));
        Assert.True(Tokens.CountTokens(sample.Response) <= 64);
    }

    [Fact]
    public void SelectSentences_Query_PicksRelevantSentencesInOriginalOrder()
    {
        var model = new ExtractiveSynthesisModel(Tokens, 8192);
        const string text = "Ships need wood. Sperm whales hunt squid in the deep. Bread is baked daily. Squid escape sperm whales rarely.";

        var chosen = model.SelectSentences("What do sperm whales hunt? squid", text, 20);

        Assert.Equal("Sperm whales hunt squid in the deep. Squid escape sperm whales rarely.", chosen);
    }

    [Fact]
    public void AssembleInput_InstructionBeforeAndRetrievalOrder_KeepsRankOrder()
    {
        var corpus = new HandMadeCorpusRetriever();
        var documents = corpus.Documents.Take(3).Select((d, i) => new RetrievedDocument(d, 1.0 / (i + 1), i + 1)).ToList();
        var before = new SynthesisSettings { DocumentOrder = DocumentOrder.Retrieval, InstructionPosition = InstructionPosition.BeforeDocuments };

        var input = SampleAssembler.AssembleInput("Compare them.", documents, before, new Random(1));
        var shuffled = Enumerable.Range(0, 20).Select(seed => SampleAssembler.AssembleInput("Compare them.", documents, new SynthesisSettings(), new Random(seed))).ToList();

        Assert.StartsWith("Compare them.\n\nDocument 1: Whaling ships\n", input);
        Assert.True(input.IndexOf(documents[1].Document.Text, StringComparison.Ordinal) < input.IndexOf(documents[2].Document.Text, StringComparison.Ordinal));
        Assert.All(shuffled, s => Assert.EndsWith("\n\nCompare them.", s));
        Assert.True(shuffled.Distinct().Count() > 1, "shuffled order varies with the sample's random source");
    }

    [Fact]
    public void Histogram_Lengths_PowerOfTwoBins()
    {
        var bins = SynthesisSampleQuery.Histogram([9_000, 10_000, 20_000, 70_000]);

        Assert.Equal([(8192, 1 << 14, 2), (1 << 14, 1 << 15, 1), (1 << 15, 1 << 16, 0), (1 << 16, 1 << 17, 1)], bins.Select(b => (b.From, b.To, b.Count)));
    }
}
