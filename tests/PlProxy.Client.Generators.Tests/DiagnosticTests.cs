using Microsoft.CodeAnalysis;

namespace PlProxy.Client.Generators.Tests;

/// <summary>Each compile-time error: its ID, and the exact place it points at.</summary>
public sealed class DiagnosticTests
{
    private GeneratorHarness.Result? _last;

    private Diagnostic Single(string source)
    {
        _last = GeneratorHarness.Run(source);
        return Assert.Single(_last.GeneratorDiagnostics);
    }

    private string TextAt(Diagnostic diagnostic) => GeneratorHarness.TextAt(_last!, diagnostic);

    private static string Interface(string members, string interfaceBody = "CLUSTER 'userdb';") => $$"""
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using PlProxy.Client;

        namespace Shop;

        [PlProxy("{{interfaceBody}}")]
        public interface IUserDb
        {
        {{members}}
        }
        """;

    [Fact]
    public void SyntaxError_PointsAtTheOffendingToken()
    {
        Diagnostic error = Single(Interface("""[PlProxy("RUN ON 'x';")] Task<int> GetAsync(string username);"""));

        Assert.Equal("PLPX1001", error.Id);
        Assert.Equal("'x'", TextAt(error));
        Assert.Contains("GetAsync: Compile error at line 1: syntax error", error.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidArgumentReference_PointsAtTheReference()
    {
        Diagnostic error = Single(Interface("""[PlProxy("RUN ON hashtext($3);")] Task<int> GetAsync(string username);"""));

        Assert.Equal("PLPX2004", error.Id);
        Assert.Equal("$3", TextAt(error));
    }

    [Fact]
    public void ErrorInVerbatimString_PointsAtTheReference_AfterDoubledQuotes()
    {
        Diagnostic error = Single(Interface("""[PlProxy(@"SELECT ""x"" FROM t WHERE a = $5;")] Task<int> GetAsync(string username);"""));

        Assert.Equal(("PLPX2004", "$5"), (error.Id, TextAt(error)));
    }

    [Fact]
    public void ErrorInRegularStringWithEscapes_PointsAtTheReference()
    {
        Diagnostic error = Single(Interface("""[PlProxy("SELECT \"x\", '\u00e9' FROM t\nWHERE a = $5;")] Task<int> GetAsync(string username);"""));

        Assert.Equal(("PLPX2004", "$5"), (error.Id, TextAt(error)));
        Assert.Contains("line 2", error.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorInMultiLineRawString_PointsAtTheReference()
    {
        const string source = """"
            using System.Threading.Tasks;
            using PlProxy.Client;

            [PlProxy("CLUSTER 'userdb';")]
            public interface IUserDb
            {
                [PlProxy("""
                    RUN ON hashtext(username);
                    SELECT balance FROM accounts WHERE id = $7;
                    """)]
                Task<decimal> GetAsync(string username);
            }
            """";

        Diagnostic error = Single(source);

        Assert.Equal(("PLPX2004", "$7"), (error.Id, TextAt(error)));
        Assert.Contains("line 2", error.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorInInterfaceBody_PointsIntoTheInterfaceAttribute()
    {
        Diagnostic error = Single(Interface("""[PlProxy("RUN ON 0;")] Task<int> GetAsync(string username);""", "CLUSTER 'userdb'; SPLIT username;"));

        Assert.Equal(("PLPX2006", "username"), (error.Id, TextAt(error)));
        Assert.Equal(7, error.Location.GetLineSpan().StartLinePosition.Line); // zero-based: the line of [PlProxy("CLUSTER 'userdb'; SPLIT username;")]
    }

    [Theory]
    [InlineData("""[PlProxy("RUN ON ALL;")] Task<int> GetAsync();""", "PLPX2005")]
    [InlineData("""[PlProxy("RUN ON hashtext(id);")] Task<int> GetAsync(int id);""", "PLPX2012")]
    [InlineData("""[PlProxy("RUN ON md5(username);")] Task<int> GetAsync(string username);""", "PLPX2008")]
    [InlineData("""[PlProxy("RUN ON username;")] Task<int> GetAsync(string username);""", "PLPX2010")]
    [InlineData("""[PlProxy("CLUSTER 'other';")] Task<int> GetAsync();""", "PLPX2011")]
    [InlineData("""[PlProxy("TARGET f; SELECT 1;")] Task<int> GetAsync();""", "PLPX2003")]
    [InlineData("""[PlProxy("RUN ON 0; RUN ON 1;")] Task<int> GetAsync();""", "PLPX1002")]
    [InlineData("""[PlProxy("SPLIT names, names; RUN ON 0;")] Task<IReadOnlyList<int>> GetAsync(string[] names);""", "PLPX2007")]
    [InlineData("""[PlProxy("SELECT 'x;")] Task<int> GetAsync();""", "PLPX1003")]
    public void BodyError_IsReportedWithItsId(string member, string id) =>
        Assert.Equal(id, Single(Interface(member)).Id);

    [Fact]
    public void MissingCluster_IsReported() =>
        Assert.Equal("PLPX2001", Single(Interface("""[PlProxy("RUN ON 0;")] Task<int> GetAsync();""", "")).Id);

    [Fact]
    public void ConnectReplacingTheInterfaceCluster_IsAccepted() =>
        Assert.Empty(GeneratorHarness.Run(Interface("""[PlProxy("CONNECT 'Host=db;Database=x';", ReplacesInterfaceStatements = true)] Task<int> GetAsync();""")).GeneratorDiagnostics);

    [Fact]
    public void MethodWithoutBody_IsReportedAtTheMethod()
    {
        Diagnostic error = Single(Interface("Task<int> GetAsync(string username);"));

        Assert.Equal(("PLPX0002", "GetAsync"), (error.Id, TextAt(error)));
    }

    [Fact]
    public void UnsupportedParameter_IsReportedAtTheParameter()
    {
        Diagnostic error = Single(Interface("""[PlProxy("RUN ON 0;")] Task<int> GetAsync(object thing);"""));

        Assert.Equal(("PLPX0003", "thing"), (error.Id, TextAt(error)));
    }

    [Fact]
    public void ParametersWhoseNamesDifferOnlyInCase_AreReportedAtTheSecond()
    {
        Diagnostic error = Single(Interface("""[PlProxy("RUN ON hashtext(Username);")] Task<int> GetAsync(string username, string Username);"""));

        Assert.Equal(("PLPX0003", "Username"), (error.Id, TextAt(error)));
        Assert.Contains("differs from parameter 'username' only in case", error.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void EnumParameterWithPgType_IsAccepted() =>
        Assert.Empty(GeneratorHarness.Run(Interface("""[PlProxy("RUN ON 0;")] Task<int> GetAsync([PgType("varchar")] string name, [PgType("int8")] int id);""")).GeneratorDiagnostics);

    [Theory]
    [InlineData("""[PlProxy("RUN ON 0;")] int Get();""")]
    [InlineData("""[PlProxy("RUN ON 0;")] Task<object> GetAsync();""")]
    [InlineData("""[PlProxy("RUN ON 0;")] Task<System.IDisposable> GetAsync();""")]
    public void UnsupportedReturnType_IsReported(string member) =>
        Assert.Equal("PLPX0004", Single(Interface(member)).Id);

    [Theory]
    [InlineData("""[PlProxy("RUN ON 0;")] Task<(int Id, string Name)> GetAsync();""", "a tuple's elements are not columns by name")]
    [InlineData("""[PlProxy("RUN ON 0;")] Task<List<int>> GetAsync();""", "a collection is not a row")]
    [InlineData("""[PlProxy("RUN ON ALL;")] IAsyncEnumerable<HashSet<string>> GetAsync();""", "a collection is not a row")]
    [InlineData("""[PlProxy("RUN ON 0;")] Task<Shop.Sealed> GetAsync();""", "it has no public constructor")]
    public void RowTypeThatIsNotARow_IsReportedNamingWhy(string member, string why)
    {
        Diagnostic error = Single(Interface(member).Replace("namespace Shop;", "namespace Shop;\npublic sealed class Sealed { private Sealed() { } public int Id { get; set; } }", StringComparison.Ordinal));

        Assert.Equal("PLPX0004", error.Id);
        Assert.Contains(why, error.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(_last!.Run.GeneratedTrees);
    }

    [Theory]
    [InlineData("public class Outer { [PlProxy(\"CLUSTER 'userdb';\")] private interface IHidden { [PlProxy(\"RUN ON 0;\")] Task<int> GetAsync(); } }", "'IHidden' is private")]
    [InlineData("public class Outer { [PlProxy(\"CLUSTER 'userdb';\")] protected interface IHidden { [PlProxy(\"RUN ON 0;\")] Task<int> GetAsync(); } }", "'IHidden' is protected")]
    [InlineData("public class Outer { private class Inner { [PlProxy(\"CLUSTER 'userdb';\")] public interface IHidden { [PlProxy(\"RUN ON 0;\")] Task<int> GetAsync(); } } }", "'IHidden' is nested in 'Inner', which is private")]
    [InlineData("[PlProxy(\"CLUSTER 'userdb';\")] file interface IHidden { [PlProxy(\"RUN ON 0;\")] Task<int> GetAsync(); }", "'IHidden' is file-local")]
    public void InterfaceTheGeneratedClassCannotName_IsReported(string declaration, string why)
    {
        Diagnostic error = Single($"using System.Threading.Tasks;\nusing PlProxy.Client;\nnamespace Shop;\n{declaration}");

        Assert.Equal("PLPX0010", error.Id);
        Assert.StartsWith(why, error.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("IHidden", TextAt(error));
        Assert.Empty(_last!.Run.GeneratedTrees);
    }

    [Fact]
    public void InheritingAnInterfaceThatIsNotAProxy_IsReportedNamingItsMember()
    {
        Diagnostic error = Single("""
            using System;
            using System.Threading.Tasks;
            using PlProxy.Client;
            namespace Shop;
            public interface IMarker { }
            public interface IDefaulted { int Version() => 1; }
            [PlProxy("CLUSTER 'userdb';")]
            public interface IUserDb : IMarker, IDefaulted, IDisposable { [PlProxy("RUN ON 0;")] Task<int> GetAsync(); }
            """);

        Assert.Equal("PLPX0011", error.Id);
        Assert.Equal("'IUserDb' inherits 'System.IDisposable', whose member 'Dispose' has no PL/Proxy body to implement it; inherit only [PlProxy] interfaces (and interfaces without abstract members)", error.GetMessage());
        Assert.Empty(_last!.Run.GeneratedTrees);
    }

    [Fact]
    public void CombiningProxyInterfacesWithoutMarkingTheCombination_IsReportedWithTheFix()
    {
        Diagnostic error = Single(Usage(
            """
            public interface IReads { [PlProxy("CLUSTER 'userdb'; RUN ON 0;")] Task<int> GetAsync(); }
            public interface IUserDb : IReads { }
            """,
            "source.CreateProxy<IUserDb>()"));

        Assert.Equal("PLPX0008", error.Id);
        Assert.Contains("mark it [PlProxy(\"\")]", error.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[PlProxy("RUN ON 0;")] Task<int> GetAsync([PgType("int4) union select 1 --")] int id);""", "PLPX0003")]
    [InlineData("""[PlProxy("RUN ON 0;")] [return: PgType("text union select passwd from pg_shadow")] Task<string> GetAsync();""", "PLPX0004")]
    public void PgTypeThatIsNotATypeName_IsReported(string member, string id)
    {
        Diagnostic error = Single(Interface(member));

        Assert.Equal(id, error.Id);
        Assert.Contains("is not a PostgreSQL type name", error.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void GenericMethod_IsReported() =>
        Assert.Equal("PLPX0005", Single(Interface("""[PlProxy("RUN ON 0;")] Task<T> GetAsync<T>();""")).Id);

    [Fact]
    public void Property_IsReported() =>
        Assert.Equal("PLPX0006", Single(Interface("int Count { get; }")).Id);

    [Fact]
    public void ArrayHashFunctionGivenAScalar_IsReportedNamingBothTypes()
    {
        Diagnostic error = Single(Interface("""
            [PlProxy("RUN ON hash_each(username);")] Task<IReadOnlyList<string>> WhoamiAsync(string username);
            [HashFunction("hash_each")] static IEnumerable<int> HashEach(string[] keys) => new int[0];
            """));

        Assert.Equal("PLPX2012", error.Id);
        Assert.Contains("function hash_each(text) does not exist; hash_each takes (text[])", error.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void FunctionParameterWithoutAPostgresType_IsReportedWithTheReason()
    {
        Diagnostic error = Single(Interface("""[HashFunction("h")] static int H(object key) => 0;"""));

        Assert.Equal("PLPX0007", error.Id);
        Assert.Contains("its parameter 'key': 'object' has no PostgreSQL type", error.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void FunctionsTakingWhatProxyMethodsTake_BindWithoutDiagnostics()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(Interface("""
            [PlProxy("RUN ON hash_each(keys);")] Task<IReadOnlyList<string>> WhoamiAsync(string?[]? keys);
            [PlProxy("CLUSTER pick(regions); RUN ON hashtext(username);", ReplacesInterfaceStatements = true)] Task<int> InRegionAsync(IReadOnlyList<string> regions, string username);
            [PlProxy("CONNECT where_mood(m);", ReplacesInterfaceStatements = true)] Task<int> ByMoodAsync([PgType("mood")] Mood? m);
            [PlProxy("RUN ON by_id(id);")] Task<int> ByIdAsync(long? id);
            [HashFunction("hash_each")] static IEnumerable<int?> HashEach(string?[]? keys) => new int?[0];
            [ClusterFunction("pick")] static string Pick(IReadOnlyList<string> regions) => "userdb";
            [ConnectFunction("where_mood")] static string WhereMood([PgType("mood")] Mood? m) => "";
            [HashFunction("by_id")] static int ById(long? id) => 0;
            """) + "\npublic enum Mood { Sad, VeryHappy }\n");

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void HashFunctionReturningText_IsReported() =>
        Assert.Equal("PLPX0007", Single(Interface("""[HashFunction("h")] static string H(string s) => s;""")).Id);

    [Fact]
    public void PlProxyOnAClassMethod_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using PlProxy.Client;

            public class UserDb
            {
                [PlProxy("RUN ON 0;")]
                public Task<int> GetAsync() => Task.FromResult(0);
            }
            """;

        Assert.Equal("PLPX0001", Single(source).Id);
    }

    [Fact]
    public void InterfaceWithErrors_GetsNoImplementation()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(Interface("""[PlProxy("RUN ON hashtext(nobody);")] Task<int> GetAsync(string username);"""));

        Assert.Empty(result.Run.GeneratedTrees);
    }

    private static string Usage(string declarations, string call) => $$"""
        using System.Threading.Tasks;
        using Microsoft.Extensions.DependencyInjection;
        using PlProxy.Client;

        namespace Shop;

        {{declarations}}

        public static class Program
        {
            public static void Use<TAny>(PlProxyDataSource source, IPlProxyBuilder builder) where TAny : class
            {
                {{call}};
            }
        }
        """;

    [Theory]
    [InlineData("""[MergeOrder("created_at DESC")] [PlProxy("RUN ON 0;")] Task<IReadOnlyList<Shop.Post>> GetAsync();""", "merges the rows of RUN ON ALL, but this method runs on one partition")]
    [InlineData("""[MergeOrder("created_at")] [PlProxy("RUN ON ALL;")] Task<PlProxyPartialResult<Shop.Post>> GetAsync();""", "needs a stream or a list of rows")]
    [InlineData("""[MergeOrder("created_at SIDEWAYS")] [PlProxy("RUN ON ALL;")] IAsyncEnumerable<Shop.Post> GetAsync();""", "cannot be read: 'SIDEWAYS' after 'created_at' is not ASC, DESC")]
    [InlineData("""[MergeOrder("updated_at")] [PlProxy("RUN ON ALL;")] IAsyncEnumerable<Shop.Post> GetAsync();""", "orders by 'updated_at', which no member of")]
    [InlineData("""[MergeOrder("tags")] [PlProxy("RUN ON ALL;")] IAsyncEnumerable<Shop.Post> GetAsync();""", "of type 'int[]', which a merge cannot order exactly")]
    [InlineData("""[MergeOrder("title COLLATE \"en_US\"")] [PlProxy("RUN ON ALL;")] IAsyncEnumerable<Shop.Post> GetAsync();""", "by collation \"en_US\", whose order a merge cannot reproduce")]
    [InlineData("""[PlProxy("RUN ON ALL;")] IAsyncEnumerable<Shop.Post> GetAsync([Limit] int limit);""", "[Limit] on 'limit' bounds a merged result: give the method [MergeOrder] too")]
    [InlineData("""[MergeOrder("id")] [PlProxy("RUN ON ALL;")] IAsyncEnumerable<Shop.Post> GetAsync([Limit] string limit);""", "[Limit] on 'limit' must be an int or a long")]
    public void MergeOrderThatCannotBeExact_IsReportedNamingWhy(string member, string why)
    {
        Diagnostic error = Single(Interface(member).Replace("namespace Shop;", "namespace Shop;\npublic sealed record Post(long Id, System.DateTime CreatedAt, string Title, int[] Tags);", StringComparison.Ordinal));

        Assert.True(error.Id == "PLPX0009", $"{error.Id}: {error.GetMessage()}");
        Assert.Contains(why, error.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void CreateProxyOfAnUnmarkedInterface_IsReportedAtTheCall()
    {
        Diagnostic error = Single(Usage("public interface IPlain { Task<int> GetAsync(); }", "source.CreateProxy<IPlain>()"));

        Assert.Equal("PLPX0008", error.Id);
        Assert.Equal("source.CreateProxy<IPlain>()", TextAt(error));
        Assert.Contains("neither it nor any of its methods carries [PlProxy]", error.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void AddProxyOfAClass_IsReported()
    {
        Diagnostic error = Single(Usage("public class Plain { }", "builder.AddProxy<Plain>()"));

        Assert.Equal("PLPX0008", error.Id);
        Assert.Contains("only for an interface", error.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("source.CreateProxy<TAny>()")]
    [InlineData("source.CreateProxy<IMarkedOnMethods>()")]
    [InlineData("builder.AddProxy<IMarked>()")]
    public void ProxyRequestThatWillHaveAnImplementation_IsNotReported(string call)
    {
        const string declarations = """
            [PlProxy("CLUSTER 'userdb'; RUN ON 0;")]
            public interface IMarked { [PlProxy("")] Task<int> GetAsync(); }

            public interface IMarkedOnMethods { [PlProxy("CLUSTER 'userdb'; RUN ON 0;")] Task<int> GetAsync(); }
            """;

        GeneratorHarness.Result result = GeneratorHarness.Run(Usage(declarations, call));

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }
}
