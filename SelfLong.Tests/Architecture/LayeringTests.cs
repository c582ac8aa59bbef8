using NetArchTest.Rules;
using SelfLong.Data;
using SelfLong.Jobs.Models;

namespace SelfLong.Tests.Architecture;

/// <summary>
/// The model, tokenizer and trainer code stays free of storage, jobs and web: it can be read,
/// tested and reused on its own. And the projects depend one way: Web on Jobs on Data.
/// </summary>
public sealed class LayeringTests
{
    private static readonly string[] Infrastructure = ["Microsoft.EntityFrameworkCore", "Npgsql", "Hangfire", "Microsoft.AspNetCore"];

    private static readonly System.Reflection.Assembly Jobs = typeof(LlamaModel).Assembly;

    private static void AssertClean(NetArchTest.Rules.TestResult result, string what) =>
        Assert.True(result.IsSuccessful, $"{what} depends on storage, jobs or web: {string.Join(", ", result.FailingTypeNames ?? [])}");

    [Theory]
    [InlineData("SelfLong.Jobs.Models")]
    [InlineData("SelfLong.Jobs.Text")]
    public void ModelAndTextCode_DependsOnNoInfrastructure(string ns) =>
        AssertClean(Types.InAssembly(Jobs).That().ResideInNamespace(ns).ShouldNot().HaveDependencyOnAny(Infrastructure).GetResult(), ns);

    [Fact]
    public void TrainingTensorCode_DependsOnNoInfrastructure()
    {
        // The tensor side of training: every type that uses TorchSharp, except the entry points that wire
        // it to the rest (the command-line verbs and the Hangfire job).
        var result = Types.InAssembly(Jobs).That().ResideInNamespace("SelfLong.Jobs.Training").And().HaveDependencyOn("TorchSharp")
            .And().DoNotHaveNameEndingWith("Commands").And().DoNotHaveNameEndingWith("Job")
            .ShouldNot().HaveDependencyOnAny(Infrastructure).GetResult();
        AssertClean(result, "Training's tensor code");
        Assert.Contains(Types.InAssembly(Jobs).That().ResideInNamespace("SelfLong.Jobs.Training").And().HaveDependencyOn("TorchSharp").GetTypes(),
            t => t.Name == "ProgressiveTrainer");
    }

    [Fact]
    public void Projects_DependOneWay()
    {
        static string[] References(System.Reflection.Assembly a) => a.GetReferencedAssemblies().Select(r => r.Name!).ToArray();
        Assert.DoesNotContain(References(typeof(SelfLongDbContext).Assembly), r => r is "SelfLong.Jobs" or "SelfLong.Web");
        Assert.DoesNotContain(References(Jobs), r => r == "SelfLong.Web");
    }
}
