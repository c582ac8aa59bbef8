using Hangfire;
using Hangfire.Common;
using Hangfire.PostgreSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SelfLong.Data;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Demo;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Jobs.Text;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.SystemChecks;
using SelfLong.Jobs.Synthesis;

namespace SelfLong.Jobs.Hosting;

public static class JobsExtensions
{
    /// <summary>
    /// Hangfire on PostgreSQL storage, the pipeline services, and (unless configured off) a
    /// Hangfire server for the configured queues in this process.
    /// </summary>
    public static IHostApplicationBuilder AddSelfLongJobs(this IHostApplicationBuilder builder, string[]? queues = null)
    {
        var connectionString = builder.Configuration.GetSelfLongConnectionString();
        builder.Services.AddValidatedOptions<JobsOptions>(JobsOptions.Section);
        var options = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();

        // The job span, as a filter of this container's client and server (AddHangfire keeps a provider
        // already registered) rather than of Hangfire's process-wide list.
        builder.Services.AddSingleton<IJobFilterProvider>(new JobFilterProviderCollection
        {
            JobFilterProviders.Providers,
            new JobFilterCollection { new Telemetry.JobTracing() },
        });
        builder.Services.AddHangfire(config => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(storage => storage.UseNpgsqlConnection(connectionString),
                new PostgreSqlStorageOptions
                {
                    SchemaName = "hangfire",
                    PrepareSchemaIfNecessary = true,
                    // Training and evaluation jobs run for hours. Without a sliding timeout a job
                    // still running after InvisibilityTimeout counts as abandoned and a second
                    // worker starts it again beside the first; with it, a live worker keeps its
                    // job, and the timeout only detects dead workers.
                    UseSlidingInvisibilityTimeout = true,
                    InvisibilityTimeout = options.InvisibilityTimeout,
                }));

        if (queues is not null || options.RunServer)
        {
            builder.Services.AddHangfireServer(server =>
            {
                server.Queues = queues ?? (options.Queues.Length > 0 ? options.Queues.Distinct().ToArray() : JobQueues.All);
                server.WorkerCount = Math.Max(1, options.WorkerCount);
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
            builder.Services.AddHostedService<Runs.RunReaper>();
            builder.Services.AddHostedService<Corpora.Ingestion.LeftoverSweeper>();
        }

        builder.Services.AddSelfLongPipelines();
        return builder;
    }

    /// <summary>Pipeline services and job classes; each feature adds its own line here.</summary>
    private static IServiceCollection AddSelfLongPipelines(this IServiceCollection services)
    {
        services.AddModelCalls();
        services.AddSystemChecks();
        services.AddValidatedOptions<Storage.StorageOptions>(Storage.StorageOptions.Section);
        services.AddSingleton<Storage.ServerPaths>();
        services.AddSingleton<SelfLong.Jobs.Progress.ProgressPublisher>();
        services.AddTransient<Runs.RunJobShell>();
        services.AddEvaluation();
        services.AddSingleton<ITokenCounter>(TiktokenTokenCounter.Default);
        services.AddCorpora();
        services.AddTraining();
        services.AddSynthesis();
        services.AddDemo();
        return services;
    }
}
