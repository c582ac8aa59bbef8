using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;

namespace SelfLong.Web.Features.Api;

/// <summary>
/// How the REST API reads requests: enums by the names responses write (numbers still accepted),
/// and a request that cannot be read answers with a validation problem naming the field instead
/// of an empty 400.
/// </summary>
public static partial class ApiRequests
{
    public static IServiceCollection AddSelfLongApiRequests(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        // Binding failures become BadHttpRequestExceptions, which BadRequestProblems turns into a body.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestProblems>();
        return services;
    }

    /// <summary>The request field a binding failure concerns: the JSON path ("$.stages[0].steps" is "stages[0].steps") or the parameter's name.</summary>
    public static string FieldOf(BadHttpRequestException exception)
    {
        if (exception.InnerException is JsonException json)
        {
            // "$" (or none): the body as a whole is not JSON of the right shape.
            if (json.Path is not { Length: > 1 } path) return "body";
            return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        }
        return ParameterName().Match(exception.Message) is { Success: true } m ? m.Groups[1].Value : "body";
    }

    /// <summary>What to do about it, without .NET type names or reader positions.</summary>
    public static string MessageFor(BadHttpRequestException exception, string field) => exception.InnerException switch
    {
        JsonException when field != "body" => $"'{field}' has a value of the wrong type, or a name this field does not accept.",
        JsonException => "The body is not valid JSON.",
        _ when exception.StatusCode == StatusCodes.Status415UnsupportedMediaType => "Send the body as application/json.",
        _ when exception.Message.Contains("no body was provided", StringComparison.Ordinal) => "Send a JSON body.",
        _ when exception.Message.Contains("is required", StringComparison.Ordinal) => $"'{field}' is required.",
        _ => $"'{field}' could not be read from the request.",
    };

    // Framework messages name the parameter as: parameter "int? skip" / parameter "input" / "NewRunRequest request".
    [GeneratedRegex("parameter \"(?:[^\" ]+ )?([A-Za-z_][A-Za-z0-9_]*)\"")]
    private static partial Regex ParameterName();
}

/// <summary>Writes a request the API could not read as a ValidationProblem naming the field.</summary>
public sealed class BadRequestProblems(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (exception is not BadHttpRequestException bad) return false;
        var field = ApiRequests.FieldOf(bad);
        context.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [ApiRequests.MessageFor(bad, field)] })
            {
                Status = bad.StatusCode,
                Title = "The request could not be read.",
            },
        });
    }
}
