using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SelfLong.Data;
using SelfLong.Jobs.Accounts;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.SystemChecks;

namespace SelfLong.Jobs.Cli;

/// <summary>Verbs about the process itself: worker, migrate, admin, check.</summary>
public static class HostCommands
{
    public static Command Worker()
    {
        var queues = new Option<string?>("--queues") { Description = $"Comma-separated queues ({string.Join(",", JobQueues.All)}); all by default." };
        var command = new Command("worker", "Run a Hangfire worker (no UI) against the configured database.") { queues };
        command.SetAction(async (parse, ct) =>
        {
            var names = parse.GetValue(queues)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = names?.Except(JobQueues.All).ToList() ?? [];
            if (unknown.Count > 0)
            {
                await Console.Error.WriteLineAsync($"Unknown queue(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", JobQueues.All)}.");
                return 2;
            }
            using var host = CliHost.Build(names ?? JobQueues.All, runServer: true, configure: Faults.TrainingStepHold.AddWhenConfigured, serviceLogs: true);
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            Console.Error.WriteLine($"Worker listening on queues: {string.Join(", ", names ?? JobQueues.All)}. Ctrl-C stops.");
            await host.RunAsync(ct);
            return 0;
        });
        return command;
    }

    public static Command Migrate()
    {
        var command = new Command("migrate", "Apply pending database migrations.");
        command.SetAction(async (_, ct) =>
        {
            using var host = CliHost.Build();
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            Console.WriteLine("Database is up to date.");
            return 0;
        });
        return command;
    }

    public static Command Admin()
    {
        var email = new Option<string>("--email") { Description = "Sign-in email of the new administrator.", Required = true };
        var password = new Option<string?>("--password") { Description = "Password (at least 10 characters); read from SELFLONG_ADMIN_PASSWORD or asked for when omitted." };
        var create = new Command("create", "Create an administrator who can sign in to the dashboard.") { email, password };
        create.SetAction(async (parse, ct) =>
        {
            var secret = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("SELFLONG_ADMIN_PASSWORD") ?? ReadHidden("Password: ");
            using var host = CliHost.Build();
            await host.Services.MigrateSelfLongDatabaseAsync(ct);
            await using var scope = host.Services.CreateAsyncScope();
            var outcome = await scope.ServiceProvider.GetRequiredService<AdminAccounts>().CreateAsync(parse.GetValue(email)!, secret);
            if (!outcome.Created)
            {
                foreach (var error in outcome.Errors) await Console.Error.WriteLineAsync(error);
                return 1;
            }
            Console.WriteLine($"Administrator {parse.GetValue(email)} created. Sign in at the dashboard with this email.");
            return 0;
        });
        var admin = new Command("admin", "Manage dashboard accounts.");
        admin.Subcommands.Add(create);
        return admin;
    }

    public static Command Check()
    {
        var command = new Command("check", "Run the TorchSharp self-test in this process and print JSON.");
        command.SetAction(_ =>
        {
            var result = TorchSelfTest.Run();
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                device = result.Device,
                max_abs_error = result.MaxAbsError,
                ok = result.MaxAbsError < SystemCheckJob.Tolerance,
            }));
            return result.MaxAbsError < SystemCheckJob.Tolerance ? 0 : 1;
        });
        return command;
    }

    private static string ReadHidden(string prompt)
    {
        if (Console.IsInputRedirected) return Console.ReadLine() ?? "";
        Console.Write(prompt);
        var chars = new List<char>();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (chars.Count > 0) chars.RemoveAt(chars.Count - 1); }
            else chars.Add(key.KeyChar);
        }
        Console.WriteLine();
        return new string([.. chars]);
    }
}
