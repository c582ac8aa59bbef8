using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;

namespace SelfLong.Data.DataProtection;

/// <summary>
/// The certificate that encrypts the Data Protection key ring where it is stored (the database,
/// beside the API keys it protects), so a database dump alone opens neither API keys nor cookies.
/// It lives outside the database: <c>SelfLong:DataProtection:CertificatePath</c> (a PFX, with
/// <c>CertificatePassword</c> if it has one), or else a certificate generated on first start at
/// <c>SelfLong:DataProtection:GeneratedCertificatePath</c> (owner-only permissions). The web app
/// and every worker must read the same file.
/// </summary>
public static class KeyRingCertificate
{
    public const string Section = "SelfLong:DataProtection";
    public static readonly string DefaultGeneratedPath = Path.Combine(".selflong", "dataprotection.pfx");

    public static X509Certificate2 Load(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        if (section["CertificatePath"] is { Length: > 0 } given)
        {
            if (!File.Exists(given))
                throw new InvalidOperationException($"{Section}:CertificatePath is set to '{given}', which does not exist. " +
                    "Point it at the PFX the key ring was encrypted with, or unset it to use a generated certificate.");
            return Open(given, section["CertificatePassword"]);
        }
        var path = Path.GetFullPath(section["GeneratedCertificatePath"] is { Length: > 0 } p ? p : DefaultGeneratedPath);
        if (!File.Exists(path)) TryCreate(path);
        return Open(path, null);
    }

    /// <summary>The certificate used before <c>CertificatePath</c> was changed, if <c>PreviousCertificatePath</c> names one: it still opens the keys it encrypted.</summary>
    public static X509Certificate2? LoadPrevious(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        if (section["PreviousCertificatePath"] is not { Length: > 0 } path) return null;
        if (!File.Exists(path))
            throw new InvalidOperationException($"{Section}:PreviousCertificatePath is set to '{path}', which does not exist.");
        return Open(path, section["PreviousCertificatePassword"]);
    }

    private static X509Certificate2 Open(string path, string? password)
    {
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        if (!certificate.HasPrivateKey || certificate.GetRSAPrivateKey() is null)
            throw new InvalidOperationException($"The Data Protection certificate '{path}' has no RSA private key; the key ring cannot be read with it.");
        return certificate;
    }

    /// <summary>Writes a new self-signed RSA certificate; when another process (a worker) wrote one first, that one is kept.</summary>
    private static void TryCreate(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var rsa = RSA.Create(3072);
        var request = new CertificateRequest("CN=SelfLong Data Protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        // Validity is not checked when keys are decrypted; a long one spares a needless renewal.
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(100));
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(temporary, options))
            file.Write(certificate.Export(X509ContentType.Pkcs12));
        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }
    }
}

/// <summary>The loaded certificate, for the start-up pass that encrypts keys stored before it (KeyRingEncryption).</summary>
public sealed record KeyRingCertificateHolder(X509Certificate2 Certificate);
