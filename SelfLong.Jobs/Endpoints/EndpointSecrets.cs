using Microsoft.AspNetCore.DataProtection;

namespace SelfLong.Jobs.Endpoints;

/// <summary>
/// Protects API keys with the Data Protection key ring kept in the database, so the web app and
/// every worker can open them and nothing else can read them from a dump.
/// </summary>
public sealed class EndpointSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("SelfLong.Endpoints.ApiKey.v1");

    public string? Protect(string? apiKey) => string.IsNullOrEmpty(apiKey) ? null : protector.Protect(apiKey);

    public string? Unprotect(string? protectedKey) => protectedKey is null ? null : protector.Unprotect(protectedKey);
}
