using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Foundation;

/// <summary>
/// The host verbs the README lists (`migrate`, `admin create`, `ingest`, `search`), run as the built
/// command line against a test's own database: exit codes, standard output, and what the database holds after.
/// </summary>
[NeedsDatabase]
public sealed class HostVerbsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Migrate_EmptyDatabase_AppliesEveryMigrationAndIsRepeatable()
    {
        var name = await TestPostgres.CreateEmptyDatabaseAsync();
        try
        {
            var connection = TestPostgres.ConnectionStringFor(name);
            var first = await CliProcess.RunAsync(connection, Limit, "migrate");
            Assert.True(first.ExitCode == 0, first.Error);
            Assert.Contains("Database is up to date.", first.Output);

            await using var database = await TestDatabase.CreateAsync();
            await using var context = database.CreateDbContext();
            var expected = context.Database.GetMigrations().ToList();
            Assert.NotEmpty(expected);
            Assert.Equal(expected, await AppliedAsync(connection));

            var again = await CliProcess.RunAsync(connection, Limit, "migrate");
            Assert.True(again.ExitCode == 0, again.Error);
            Assert.Equal(expected, await AppliedAsync(connection));
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(name);
        }
    }

    [Fact]
    public async Task AdminCreate_NewEmail_StoresAnAdministrator_RefusesTheSameEmailAndAShortPassword()
    {
        await using var database = await TestDatabase.CreateAsync();

        var created = await CliProcess.RunAsync(database.ConnectionString, Limit, "admin", "create", "--email", "root@cli.test", "--password", "a-long-Passw0rd");
        Assert.True(created.ExitCode == 0, created.Error);
        Assert.Contains("root@cli.test", created.Output);
        Assert.DoesNotContain("a-long-Passw0rd", created.Output + created.Error);
        await using (var command = database.DataSource.CreateCommand(
            """SELECT r."Name" FROM "AspNetUsers" u JOIN "AspNetUserRoles" ur ON ur."UserId" = u."Id" JOIN "AspNetRoles" r ON r."Id" = ur."RoleId" WHERE u."Email" = $1"""))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = "root@cli.test" });
            Assert.Equal("Admin", await command.ExecuteScalarAsync(Ct));
        }

        var twice = await CliProcess.RunAsync(database.ConnectionString, Limit, "admin", "create", "--email", "root@cli.test", "--password", "a-long-Passw0rd");
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("A user root@cli.test already exists.", twice.Error);

        var shortPassword = await CliProcess.RunAsync(database.ConnectionString, Limit, "admin", "create", "--email", "other@cli.test", "--password", "short");
        Assert.Equal(1, shortPassword.ExitCode);
        Assert.Contains("10", shortPassword.Error);
        Assert.Equal(1L, await ScalarAsync(database, """SELECT count(*) FROM "AspNetUsers" """));
    }

    [Fact]
    public async Task IngestThenSearch_TextFile_StoresItsDocumentAndFindsTheMatchingChunkAsJson()
    {
        await using var database = await TestDatabase.CreateAsync();
        var folder = Directory.CreateTempSubdirectory("selflong-cli-ingest-").FullName;
        try
        {
            var file = Path.Combine(folder, "harbours.txt");
            await File.WriteAllTextAsync(file, "The lighthouse keeper of Port Quillon counted seventeen herons at dawn. " +
                "Fishing boats left the harbour before the tide turned.", Ct);
            var corpus = $"cli {Guid.NewGuid():N}"[..12];

            var ingest = await CliProcess.RunAsync(database.ConnectionString, Limit, "ingest", "--corpus", corpus, file);
            Assert.True(ingest.ExitCode == 0, ingest.Error);
            var run = Assert.Single(JsonDocument.Parse(ingest.Output).RootElement.EnumerateArray());
            Assert.Equal("Succeeded", run.GetProperty("status").GetString());
            Assert.Equal(1, run.GetProperty("documents").GetInt32());
            Assert.Equal("harbours.txt", Assert.Single(run.GetProperty("files").EnumerateArray()).GetProperty("fileName").GetString());
            Assert.Equal(1L, await ScalarAsync(database, """SELECT count(*) FROM documents """));
            Assert.True(File.Exists(file), "the command line ingests the user's own file; it must not delete it");

            var search = await CliProcess.RunAsync(database.ConnectionString, Limit, "search", "--corpus", corpus, "--k", "3", "--mode", "FullText", "herons");
            Assert.True(search.ExitCode == 0, search.Error);
            var result = JsonDocument.Parse(search.Output).RootElement;
            Assert.Equal(corpus, result.GetProperty("corpus").GetString());
            var hit = Assert.Single(result.GetProperty("hits").EnumerateArray());
            Assert.Contains("seventeen herons", hit.GetRawText());

            var missing = await CliProcess.RunAsync(database.ConnectionString, Limit, "search", "--corpus", "no such corpus", "herons");
            Assert.Equal(2, missing.ExitCode);
            Assert.Contains("No corpus named 'no such corpus'.", missing.Error);
            Assert.Empty(missing.Output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Ingest_NoFileOrMissingFile_RefusedBeforeTouchingTheDatabase()
    {
        await using var database = await TestDatabase.CreateAsync();

        var none = await CliProcess.RunAsync(database.ConnectionString, Limit, "ingest", "--corpus", "c");
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("Give --corpus NAME and at least one file, or --demo.", none.Error);

        var absent = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}.txt");
        var missing = await CliProcess.RunAsync(database.ConnectionString, Limit, "ingest", "--corpus", "c", absent);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains($"No such file: {absent}", missing.Error);
        Assert.Equal(0L, await ScalarAsync(database, """SELECT count(*) FROM corpora """));
    }

    private static async Task<List<string>> AppliedAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("""SELECT "MigrationId" FROM "__EFMigrationsHistory" ORDER BY "MigrationId" """, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var ids = new List<string>();
        while (await reader.ReadAsync(Ct)) ids.Add(reader.GetString(0));
        return ids;
    }

    private static async Task<long> ScalarAsync(TestDatabase database, string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
