using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace SelfLong.Data.DataProtection;

/// <summary>
/// Keys stored before the key ring was encrypted (older installations) sit in the database in
/// plain text and keep protecting the API keys of that time; this encrypts them in place, in the
/// same format Data Protection writes for new keys, so they read as before.
/// </summary>
public static class KeyRingEncryption
{
    private static readonly XNamespace DataProtection = "http://schemas.asp.net/2015/03/dataProtection";

    /// <summary>Encrypts every stored key that has a secret in plain text; returns how many it changed.</summary>
    public static async Task<int> EncryptStoredKeysAsync(SelfLongDbContext db, X509Certificate2 certificate, CancellationToken ct = default)
    {
        var encryptor = new CertificateXmlEncryptor(certificate, NullLoggerFactory.Instance);
        var changed = 0;
        foreach (var key in await db.DataProtectionKeys.ToListAsync(ct))
        {
            if (key.Xml is not { } xml) continue;
            var element = XElement.Parse(xml);
            var secrets = element.Descendants().Where(e => (bool?)e.Attribute(DataProtection + "requiresEncryption") == true).ToList();
            if (secrets.Count == 0) continue;
            foreach (var secret in secrets)
            {
                var encrypted = encryptor.Encrypt(new XElement(secret));
                secret.ReplaceWith(new XElement(DataProtection + "encryptedSecret",
                    new XAttribute("decryptorType", encrypted.DecryptorType.AssemblyQualifiedName!), encrypted.EncryptedElement));
            }
            key.Xml = element.ToString(SaveOptions.DisableFormatting);
            changed++;
        }
        await db.SaveChangesAsync(ct);
        return changed;
    }
}
