using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SelfLong.Tests.Infrastructure;

public sealed class OpenAiTestServerTests
{
    [Fact]
    public async Task Chat_SameMessages_SameAnswer_AndFaultsAreServedInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var request = new { model = "m", messages = new[] { new { role = "user", content = "hello" } } };

        async Task<string> AskAsync()
        {
            var response = await http.PostAsJsonAsync("v1/chat/completions", request, ct);
            response.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            return json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        }

        Assert.Equal(await AskAsync(), await AskAsync());
        server.EnqueueFaults(OpenAiFault.ServerError, OpenAiFault.MalformedJson);
        Assert.Equal(HttpStatusCode.InternalServerError, (await http.PostAsJsonAsync("v1/chat/completions", request, ct)).StatusCode);
        var malformed = await http.PostAsJsonAsync("v1/chat/completions", request, ct);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(malformed.Content.ReadAsStringAsync(ct).Result));
        Assert.Equal(4, server.RequestCount);
    }
}
