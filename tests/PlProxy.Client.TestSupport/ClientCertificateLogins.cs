using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PlProxy.Client.Testing;

namespace PlProxy.Client.TestSupport;

/// <summary>
/// A server that takes a role only over SSL with a client certificate its own CA signed, as secured deployments do: a
/// CA, a server certificate for 127.0.0.1 and a client certificate for the role, written as PEM files in the server's
/// data directory (owned by the server's OS user, keys readable by it alone, as PostgreSQL and libpq require).
/// </summary>
public static class ClientCertificateLogins
{
    /// <summary>
    /// Turns SSL on for <paramref name="server"/>, creates <paramref name="role"/> (a superuser) and lets it in only with
    /// its certificate (<c>hostssl ... cert</c>, plain connections rejected). Returns the libpq settings a connection of
    /// the role needs: <c> sslmode=verify-full sslrootcert=... sslcert=... sslkey=... sslcompression=0</c>, with a leading space.
    /// </summary>
    public static async Task<string> RequireAsync(LocalPostgresServer server, string role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        string files = await WriteCertificatesAsync(server, role, cancellationToken);
        foreach (string setting in (string[])["ssl = on", $"ssl_cert_file = '{files}/server.crt'", $"ssl_key_file = '{files}/server.key'", $"ssl_ca_file = '{files}/ca.crt'"])
        {
            await server.ExecuteAsync("postgres", $"alter system set {setting}", cancellationToken); // not in a transaction block
        }

        await server.ExecuteAsync("postgres", $"create role {role} superuser login", cancellationToken);
        string hba = Path.Combine(server.DataDirectory, "pg_hba.conf");
        await File.WriteAllTextAsync(hba, $"hostssl all {role} 127.0.0.1/32 cert\nhost all {role} 127.0.0.1/32 reject\n" + await File.ReadAllTextAsync(hba, cancellationToken), cancellationToken);
        await server.ExecuteAsync("postgres", "select pg_reload_conf()", cancellationToken);
        await Task.Delay(200, cancellationToken);
        return $" sslmode=verify-full sslrootcert={files}/ca.crt sslcert={files}/client.crt sslkey={files}/client.key sslcompression=0"; // as older strings say it
    }

    private static async Task<string> WriteCertificatesAsync(LocalPostgresServer server, string role, CancellationToken cancellationToken)
    {
        string directory = Path.Combine(server.DataDirectory, "certificates");
        Directory.CreateDirectory(directory);
        DateTimeOffset from = DateTimeOffset.UtcNow.AddDays(-1), until = DateTimeOffset.UtcNow.AddDays(7);

        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=plproxy test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(from, until);
        await File.WriteAllTextAsync(Path.Combine(directory, "ca.crt"), ca.ExportCertificatePem(), cancellationToken);

        await IssueAsync("server", "CN=127.0.0.1", "1.3.6.1.5.5.7.3.1", IPAddress.Loopback, 2);
        await IssueAsync("client", $"CN={role}", "1.3.6.1.5.5.7.3.2", null, 3);
        if (Environment.IsPrivilegedProcess && !OperatingSystem.IsWindows())
        {
            using Process chown = Process.Start("chown", ["-R", new LocalPostgresOptions().OsUserWhenRoot, directory])!;
            await chown.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            if (chown.ExitCode != 0)
            {
                throw new InvalidOperationException($"chown of {directory} failed (exit code {chown.ExitCode}).");
            }
        }

        return directory;

        async Task IssueAsync(string name, string subject, string usage, IPAddress? address, byte serial)
        {
            using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
            if (address is not null)
            {
                var alternative = new SubjectAlternativeNameBuilder();
                alternative.AddIpAddress(address);
                request.CertificateExtensions.Add(alternative.Build());
            }

            using X509Certificate2 certificate = request.Create(ca, from, until, [serial]);
            await File.WriteAllTextAsync(Path.Combine(directory, $"{name}.crt"), certificate.ExportCertificatePem(), cancellationToken);
            string keyFile = Path.Combine(directory, $"{name}.key");
            await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem(), cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
    }
}
