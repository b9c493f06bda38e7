using PlProxy.Client.Tool.Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>libpq's password file, read as libpq reads it, for the subscriptions the tool creates.</summary>
public sealed class PasswordFileTests
{
    private const string Lines = """
        # a comment: db1:5432:users:app:commented
        db1:5432:orders:app:orders-only
        db1:*:*:app:first\:match\\
        *:*:*:app:any-host
        db2:5432:users:other:never
        """;

    [Theory]
    [InlineData("db1", 5432, "orders", "app", "orders-only")]
    [InlineData("db1", 5433, "users", "app", "first:match\\")]
    [InlineData("db9", 5432, "users", "app", "any-host")]
    [InlineData("db2", 5432, "users", "nobody", null)]
    public void PasswordFor_AConnection_IsTheFirstMatchingLinesUnescaped(string host, int port, string database, string user, string? password)
    {
        string file = Write(Lines, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Equal(password, PasswordFile.PasswordFor(file, host, port, database, user));
    }

    [Fact]
    public void PasswordFor_AFileOthersMayRead_IsNull_AsLibpqIgnoresIt()
    {
        string file = Write(Lines, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        Assert.Null(PasswordFile.PasswordFor(file, "db1", 5432, "orders", "app"));
    }

    private static string Write(string text, UnixFileMode mode)
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("plproxy-pgpass").FullName, "pgpass");
        File.WriteAllText(file, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, mode);
        }

        return file;
    }
}
