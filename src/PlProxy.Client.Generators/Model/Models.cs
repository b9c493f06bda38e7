using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using PlProxy.Client.Language;

namespace PlProxy.Client.Generators.Model;

/// <summary>Where a diagnostic points, as plain data (a <see cref="Location"/> must not be cached by the pipeline).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location is null || location.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
}

/// <summary>A diagnostic as plain data: its ID, where, and its message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(string id, Location? location, params string[] arguments) =>
        new(id, LocationInfo.From(location), new EquatableArray<string>(arguments));

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Diagnostics.DiagnosticDescriptors.For(Id), Location?.ToLocation(), Arguments.ToArray());
}

/// <summary>How a method returns.</summary>
internal enum ReturnShape
{
    Task,
    ValueTask,
    TaskOfSingle,
    ValueTaskOfSingle,
    TaskOfList,
    ValueTaskOfList,
    Stream,
    TaskOfPartial,
}

/// <summary>A parameter of a proxy method.</summary>
/// <param name="Name">The C# name.</param>
/// <param name="TypeDisplay">The fully qualified C# type, with nullability.</param>
/// <param name="PgType">The PostgreSQL type it is sent as (empty for the cancellation token).</param>
/// <param name="IsCancellationToken">True for the CancellationToken.</param>
/// <param name="ValueExpression">The C# expression that puts the value into the argument array.</param>
/// <param name="Modifier">How it is passed, as the interface declares it: empty, <c>"in "</c> or <c>"ref readonly "</c>.</param>
internal sealed record ParameterModel(string Name, string TypeDisplay, string PgType, bool IsCancellationToken, string ValueExpression, string Modifier = "");

/// <summary>A member of a composite result type, filled from the column of the same name.</summary>
/// <param name="Name">The member (property or constructor parameter) name.</param>
/// <param name="ReadExpression">Reads the value from reader <c>r</c> at ordinal <c>{0}</c>.</param>
/// <param name="IsConstructorParameter">True when passed to the constructor, false when set as a property.</param>
/// <param name="TypeDisplay">The member's type, fully qualified (what a merge order may order by).</param>
internal sealed record ColumnModel(string Name, string ReadExpression, bool IsConstructorParameter, string TypeDisplay = "");

/// <summary>What a method's rows are read as.</summary>
/// <param name="TypeDisplay">The fully qualified C# type of one result (row), with nullability.</param>
/// <param name="ScalarPgType">For a scalar result, the PostgreSQL type the remote result is cast to; null for a composite.</param>
/// <param name="ScalarReadExpression">For a scalar, reads column 0 of reader <c>r</c>.</param>
/// <param name="Columns">For a composite, its members.</param>
/// <param name="NullWhenAllColumnsNull">For a nullable composite: an all-NULL row reads as null.</param>
internal sealed record ResultModel(string TypeDisplay, string? ScalarPgType, string? ScalarReadExpression, EquatableArray<ColumnModel> Columns, bool NullWhenAllColumnsNull);

/// <summary>A proxy method (<c>ClusterName</c>: the cluster its body names, when it names one rather than computing it).</summary>
internal sealed record MethodModel(
    string Name,
    string ReturnTypeDisplay,
    ReturnShape Shape,
    string FunctionName,
    string Body,
    bool ReplacesInterfaceStatements,
    EquatableArray<ParameterModel> Parameters,
    ResultModel? Result,
    bool Idempotent,
    string? ClusterName,
    bool NotCoalesced = false,
    bool ReadFromStandby = false,
    string? MergeOrder = null,
    string? LimitParameter = null);

/// <summary>A static hash, cluster or connect function of the interface.</summary>
/// <param name="SqlName">The name bodies call it by.</param>
/// <param name="MethodName">The C# method.</param>
/// <param name="ParameterPgTypes">The PostgreSQL types of its parameters.</param>
/// <param name="ArgumentExpressions">Each argument of the generated call, read from the evaluated values <c>a</c>.</param>
/// <param name="ResultPgType">The PostgreSQL type of its result (of each element, for a set).</param>
/// <param name="ReturnsSet">True when it returns several values.</param>
internal sealed record FunctionModel(string SqlName, string MethodName, EquatableArray<string> ParameterPgTypes, EquatableArray<string> ArgumentExpressions, string ResultPgType, bool ReturnsSet);

/// <summary>
/// A method of an inherited proxy interface, which the implementation passes on to that interface's own generated
/// implementation (so it runs with that interface's statements and functions, as it does alone).
/// </summary>
/// <param name="Name">The method.</param>
/// <param name="ReturnTypeDisplay">Its return type, fully qualified.</param>
/// <param name="ParameterList">Its parameters as the implementation declares them.</param>
/// <param name="ArgumentList">The arguments it passes on.</param>
internal sealed record ForwardedMethodModel(string Name, string ReturnTypeDisplay, string ParameterList, string ArgumentList);

/// <summary>An inherited proxy interface and the methods it declares (each implemented by passing the call on).</summary>
/// <param name="FullyQualifiedName">The inherited interface.</param>
/// <param name="Methods">Its own methods (those of the interfaces it inherits in turn are theirs).</param>
internal sealed record InheritedInterfaceModel(string FullyQualifiedName, EquatableArray<ForwardedMethodModel> Methods);

/// <summary>A proxy interface, everything the emitter needs, as plain equatable data.</summary>
internal sealed record InterfaceModel(
    string Namespace,
    string FullyQualifiedName,
    string ImplementationName,
    string? InterfaceBody,
    EquatableArray<MethodModel> Methods,
    EquatableArray<FunctionModel> Functions,
    EquatableArray<InheritedInterfaceModel> Inherited);

/// <summary>What the parser returns for one interface: the model (null when it has errors) and the diagnostics.</summary>
internal sealed record ParseResult(InterfaceModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
