using Hangfire;
using Hangfire.PostgreSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SelfLong.Data;
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
        builder.Services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section);

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
                    InvisibilityTimeout = TimeSpan.FromMinutes(5),
                }));

        var options = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        if (queues is not null || options.RunServer)
        {
            builder.Services.AddHangfireServer(server =>
            {
                server.Queues = queues ?? (options.Queues.Length > 0 ? options.Queues.Distinct().ToArray() : JobQueues.All);
                server.WorkerCount = Math.Max(1, options.WorkerCount);
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
        }

        builder.Services.AddSelfLongPipelines();
        return builder;
    }

    /// <summary>Pipeline services and job classes; each feature adds its own line here.</summary>
    private static IServiceCollection AddSelfLongPipelines(this IServiceCollection services)
    {
        services.AddSystemChecks();
        services.AddOptions<Storage.StorageOptions>().BindConfiguration(Storage.StorageOptions.Section);
        services.AddSingleton<Storage.ServerPaths>();
        services.AddSingleton<SelfLong.Jobs.Progress.ProgressPublisher>();
        SelfLong.Jobs.Evaluation.EvaluationExtensions.AddEvaluation(services);
        services.AddSingleton<SelfLong.Jobs.Text.ITokenCounter>(SelfLong.Jobs.Text.TiktokenTokenCounter.Default);
        SelfLong.Jobs.Corpora.CorporaExtensions.AddCorpora(services);
        SelfLong.Jobs.Training.TrainingExtensions.AddTraining(services);
        services.AddSynthesis();
        SelfLong.Jobs.Demo.DemoExtensions.AddDemo(services);
        return services;
    }
}
