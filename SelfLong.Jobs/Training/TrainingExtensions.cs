using Microsoft.Extensions.DependencyInjection;

namespace SelfLong.Jobs.Training;

public static class TrainingExtensions
{
    public static IServiceCollection AddTraining(this IServiceCollection services) =>
        services.AddTransient<TrainingRunService>().AddTransient<TrainingJob>().AddTransient<TrainingDataReferences>().AddTransient<DataFiles.TrainingDataFiles>()
            .AddTransient<External.AxolotlOutputFollower>().AddTransient<External.ExternalTraining>().AddTransient<External.ExternalTrainingFollowJob>();
}
