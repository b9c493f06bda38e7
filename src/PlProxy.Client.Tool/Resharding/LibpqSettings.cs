using System.Diagnostics;
using Npgsql;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// A connection string in libpq's keywords, for the connections libpq makes for the tool: <c>pg_dump</c> and
/// <c>psql</c> (as PG* environment variables) and a new database's subscription to its source (as its connection).
/// Besides where and as whom, they carry how the string says to secure the connection — its SSL mode, the root
/// certificate to verify the server by, the client certificate and key to log in with, channel binding, GSS
/// encryption — so that a copy never connects less securely than the tool itself, nor fails where it succeeds.
/// </summary>
internal static class LibpqSettings
{
    private static readonly NpgsqlConnectionStringBuilder Defaults = new();

    /// <summary>The keywords and values of <paramref name="connectionString"/> (an Npgsql connection string).</summary>
    /// <remarks>File paths are made absolute: a subscription's server would read a relative one from its data directory.</remarks>
    public static List<(string Keyword, string Value)> Of(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var settings = new List<(string, string)> { ("host", builder.Host!), ("port", builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("dbname", builder.Database!) };
        Add("user", builder.Username);
        Add("password", builder.Password);
        if (builder.SslMode != Defaults.SslMode)
        {
            settings.Add(("sslmode", builder.SslMode switch
            {
                SslMode.Disable => "disable",
                SslMode.Allow => "allow",
                SslMode.Prefer => "prefer",
                SslMode.Require => "require",
                SslMode.VerifyCA => "verify-ca",
                SslMode.VerifyFull => "verify-full",
                var other => throw ToolRefusal.BadInput($"SSL Mode {other} has no libpq equivalent for the copy's connections."),
            }));
        }

        Add("sslrootcert", FullPath(builder.RootCertificate));
        Add("sslcert", FullPath(builder.SslCertificate));
        Add("sslkey", FullPath(builder.SslKey));
        Add("sslpassword", builder.SslPassword);
        if (builder.ChannelBinding != Defaults.ChannelBinding)
        {
            settings.Add(("channel_binding", builder.ChannelBinding.ToString().ToLowerInvariant()));
        }

        if (builder.GssEncryptionMode != Defaults.GssEncryptionMode)
        {
            settings.Add(("gssencmode", builder.GssEncryptionMode.ToString().ToLowerInvariant()));
        }

        if (builder.KerberosServiceName != Defaults.KerberosServiceName)
        {
            Add("krbsrvname", builder.KerberosServiceName);
        }

        return settings;

        void Add(string keyword, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                settings.Add((keyword, value));
            }
        }

        static string? FullPath(string? path) => string.IsNullOrEmpty(path) ? null : Path.GetFullPath(path);
    }

    /// <summary>
    /// A libpq connection string (<c>keyword='value' ...</c>), for a subscription's connection. It connects from the new
    /// database's server, which has neither the tool's environment nor its password file: a password the string leaves
    /// to <c>PGPASSWORD</c> or a password file, where the tool's own connections and <c>pg_dump</c> find it, is written in.
    /// </summary>
    public static string ConnectionInfo(string connectionString)
    {
        List<(string Keyword, string Value)> settings = Of(connectionString);
        if (!settings.Exists(s => s.Keyword == "password"))
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            string user = builder.Username ?? Environment.UserName;
            if ((Environment.GetEnvironmentVariable("PGPASSWORD") is { Length: > 0 } given ? given : PasswordFile.PasswordFor(builder.Passfile, builder.Host!, builder.Port, builder.Database!, user)) is { } password)
            {
                settings.Add(("password", password));
            }
        }

        return string.Join(' ', settings.Select(s => $"{s.Keyword}={Quoted(s.Value)}"));
    }

    /// <summary>
    /// Refuses a database whose string gives the passphrase of an encrypted SSL key (<c>SSL Password</c>): libpq reads no
    /// environment variable for it, and on <c>pg_dump</c>'s or <c>psql</c>'s command line every user of the machine could
    /// read it. Called by the check, before anything is changed.
    /// </summary>
    public static void RefuseWhatProgramsCannotTake(string name, string connectionString)
    {
        if (!string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(connectionString).SslPassword))
        {
            throw new ToolRefusal($"{name}: its connection string gives the passphrase of an encrypted SSL key (SSL Password), which PostgreSQL's programs that copy the schema (pg_dump, psql) could be given only on their command line, where every user of the machine could read it; give the tool the key without a passphrase (its file readable by you alone). Nothing was changed.");
        }
    }

    /// <summary>
    /// Sets the PG* environment variables of <paramref name="start"/> from <paramref name="connectionString"/>, so that no
    /// password appears on a command line; a passfile the string names is read too.
    /// </summary>
    public static void SetEnvironment(ProcessStartInfo start, string connectionString)
    {
        foreach ((string keyword, string value) in Of(connectionString))
        {
            start.Environment[keyword switch
            {
                "host" => "PGHOST",
                "port" => "PGPORT",
                "dbname" => "PGDATABASE",
                "user" => "PGUSER",
                "password" => "PGPASSWORD",
                "sslmode" => "PGSSLMODE",
                "sslrootcert" => "PGSSLROOTCERT",
                "sslcert" => "PGSSLCERT",
                "sslkey" => "PGSSLKEY",
                "channel_binding" => "PGCHANNELBINDING",
                "gssencmode" => "PGGSSENCMODE",
                "krbsrvname" => "PGKRBSRVNAME",
                _ => throw new InvalidOperationException($"libpq reads no environment variable for {keyword}; the check refuses such a string (RefuseWhatProgramsCannotTake)."),
            }] = value;
        }

        if (new NpgsqlConnectionStringBuilder(connectionString).Passfile is { } passfile)
        {
            start.Environment["PGPASSFILE"] = passfile;
        }
    }

    private static string Quoted(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
