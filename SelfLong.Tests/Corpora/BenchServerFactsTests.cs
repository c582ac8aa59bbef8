using System.Text.Json;
using SelfLong.Jobs.Corpora;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
public sealed class BenchServerFactsTests
{
    /// <summary>The settings `bench corpus` prints beside its figures are the server's own.</summary>
    [Fact]
    public async Task ReadsTheServersSettings_AndTheHugePagesStatusOnlyWhereTheServerHasIt()
    {
        await using var database = await TestDatabase.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        var facts = JsonSerializer.SerializeToElement(await BenchServerFacts.ReadAsync(database.DataSource, ct));

        await using var show = database.DataSource.CreateCommand(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'), current_setting('server_version_num')::int");
        await using var reader = await show.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        Assert.Equal(reader.GetString(0), facts.GetProperty("postgresql").GetString());
        Assert.Equal(reader.GetString(1), facts.GetProperty("shared_buffers").GetString());
        Assert.Contains(facts.GetProperty("huge_pages").GetString(), new[] { "try", "on", "off" });
        var status = facts.GetProperty("huge_pages_status");
        if (reader.GetInt32(2) < 170000) Assert.Equal(JsonValueKind.Null, status.ValueKind);
        else Assert.Contains(status.GetString(), new[] { "on", "off", "unknown" });
        Assert.Equal(Environment.ProcessorCount, facts.GetProperty("client_cores").GetInt32());
    }
}
