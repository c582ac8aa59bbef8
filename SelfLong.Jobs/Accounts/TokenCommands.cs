using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Audit;
using SelfLong.Data.Identity;
using SelfLong.Jobs.Cli;

namespace SelfLong.Jobs.Accounts;

/// <summary>
/// `./selflong token create|list|revoke --email ...`: a user's personal API tokens from the
/// command line (whoever can run it can read the database anyway). Each prints JSON.
/// </summary>
public static class TokenCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    public static Command Token()
    {
        var email = new Option<string>("--email") { Description = "The account the tokens belong to.", Required = true };
        var name = new Option<string>("--name") { Description = "What will use the token (shown in lists).", Required = true };
        var scope = new Option<ApiTokenScope>("--scope") { Description = "read (as a Viewer) or write (with the account's role).", DefaultValueFactory = _ => ApiTokenScope.Read };
        var days = new Option<int?>("--days") { Description = $"Lifetime in days, 1 to {ApiTokens.MaxLifetimeDays}.", DefaultValueFactory = _ => 90 };
        var id = new Option<long>("--id") { Description = "The token's id (from `token list`).", Required = true };

        var create = new Command("create", "Create a token and print it (shown this once).") { email, name, scope, days };
        create.SetAction((parse, ct) => RunAsync(parse.GetValue(email)!, async (tokens, userId) =>
        {
            var (token, errors) = await tokens.CreateAsync(userId, parse.GetValue(name)!, parse.GetValue(scope), parse.GetValue(days), ct);
            return token is null ? Fail(errors) : Print(new { token.Token, secret = token.Secret });
        }, ct));
        var list = new Command("list", "List the account's tokens (never the tokens themselves).") { email };
        list.SetAction((parse, ct) => RunAsync(parse.GetValue(email)!, async (tokens, userId) => Print(await tokens.ListAsync(userId, ct)), ct));
        var revoke = new Command("revoke", "Revoke one of the account's tokens.") { email, id };
        revoke.SetAction((parse, ct) => RunAsync(parse.GetValue(email)!, async (tokens, userId) =>
            await tokens.RevokeAsync(userId, parse.GetValue(id), ct) ? Print(new { revoked = parse.GetValue(id) }) : Fail(["This account has no token with that id."]), ct));

        return new Command("token", "Personal API tokens for the REST API (Authorization: Bearer).") { create, list, revoke };
    }

    private static async Task<int> RunAsync(string email, Func<ApiTokens, string, Task<int>> action, CancellationToken ct)
    {
        using var host = CliHost.Build();
        await host.Services.MigrateSelfLongDatabaseAsync(ct);
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct);
        var userId = await db.Users.Where(u => u.Email == email.Trim()).Select(u => u.Id).SingleOrDefaultAsync(ct);
        if (userId is null) return Fail([$"There is no account {email}."]);
        using (AuditActor.Use(new AuditActor($"{email.Trim()} ({Environment.UserName})", AuditActor.Cli)))
            return await action(host.Services.GetRequiredService<ApiTokens>(), userId);
    }

    private static int Print(object value)
    {
        Console.WriteLine(JsonSerializer.Serialize(value, Json));
        return 0;
    }

    private static int Fail(IEnumerable<string> errors)
    {
        foreach (var error in errors) Console.Error.WriteLine(error);
        return 1;
    }
}
