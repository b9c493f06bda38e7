using Microsoft.CodeAnalysis;
using PlProxy.Client.Language;

namespace PlProxy.Client.Generators.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. IDs are stable and banded (see <see cref="DiagnosticIds"/>): 0xxx interface
/// and signature shape, 1xxx body syntax, 2xxx routing semantics, 9999 internal error. Body diagnostics (1xxx, 2xxx)
/// carry the language's own message.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "PlProxy";

    /// <summary>
    /// Where each diagnostic's page is (docs/diagnostics/&lt;ID&gt;.md, the docs site's source): the one place the address
    /// lives, so the site's published home changes here only.
    /// </summary>
    public const string HelpLinkBase = "https://github.com/plproxy-client/PlProxy.Client/blob/main/docs/diagnostics/";

    public const string MisplacedAttributeId = "PLPX0001";
    public const string MethodWithoutBodyId = "PLPX0002";
    public const string UnsupportedParameterId = "PLPX0003";
    public const string UnsupportedReturnTypeId = "PLPX0004";
    public const string GenericNotSupportedId = "PLPX0005";
    public const string NonMethodMemberId = "PLPX0006";
    public const string UnsupportedFunctionId = "PLPX0007";
    public const string NoImplementationId = "PLPX0008";
    public const string UnorderableMergeId = "PLPX0009";
    public const string UnreachableInterfaceId = "PLPX0010";
    public const string NonProxyBaseId = "PLPX0011";
    public const string InternalErrorId = "PLPX9999";

    public static readonly DiagnosticDescriptor MisplacedAttribute = Error(MisplacedAttributeId,
        "[PlProxy] outside an interface",
        "[PlProxy] on '{0}' has no effect: only interfaces and their methods are implemented from PL/Proxy bodies; move the method into an interface marked [PlProxy]");

    public static readonly DiagnosticDescriptor MethodWithoutBody = Error(MethodWithoutBodyId,
        "Proxy method without a body",
        "Method '{0}' of [PlProxy] interface '{1}' has no [PlProxy(\"...\")] body; give it one (e.g. [PlProxy(\"RUN ON hashtext(username);\")]) or a default implementation");

    public static readonly DiagnosticDescriptor UnsupportedParameter = Error(UnsupportedParameterId,
        "Unsupported parameter",
        "Parameter '{0}' of '{1}' cannot be sent to PostgreSQL: {2}");

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Error(UnsupportedReturnTypeId,
        "Unsupported return type",
        "'{0}' returns '{1}', which a proxy method cannot: {2}");

    public static readonly DiagnosticDescriptor GenericNotSupported = Error(GenericNotSupportedId,
        "Generic proxy",
        "'{0}' is generic; proxy interfaces and methods cannot be generic, since each method maps to one PostgreSQL function");

    public static readonly DiagnosticDescriptor NonMethodMember = Error(NonMethodMemberId,
        "Proxy interface member that is not a method",
        "'{0}' is not a method; a [PlProxy] interface may only declare methods (and static hash, cluster or connect functions)");

    public static readonly DiagnosticDescriptor UnsupportedFunction = Error(UnsupportedFunctionId,
        "Unsupported hash, cluster or connect function",
        "Function '{0}' cannot be called from a body: {1}");

    public static readonly DiagnosticDescriptor NoImplementation = Error(NoImplementationId,
        "Proxy type without a generated implementation",
        "'{0}' has no generated implementation, so {1}<{0}>() would throw at run time: {2}");

    public static readonly DiagnosticDescriptor UnorderableMerge = Error(UnorderableMergeId,
        "Merge order that cannot be exact",
        "'{0}': {1}");

    public static readonly DiagnosticDescriptor UnreachableInterface = Error(UnreachableInterfaceId,
        "Proxy interface the generated code cannot reach",
        "'{0}' {1}; the generated implementation is a class of its own beside it, so the interface and the types it is nested in must be public or internal, and not file-local");

    public static readonly DiagnosticDescriptor NonProxyBase = Error(NonProxyBaseId,
        "Proxy interface inheriting an interface that is not a proxy",
        "'{0}' inherits '{1}', whose member '{2}' has no PL/Proxy body to implement it; inherit only [PlProxy] interfaces (and interfaces without abstract members)");

    public static readonly DiagnosticDescriptor InternalError = Error(InternalErrorId,
        "PlProxy.Client generator failure",
        "The PlProxy.Client generator failed on '{0}': {1}; please report it");

    private static readonly Dictionary<string, DiagnosticDescriptor> BodyDescriptors = new()
    {
        [DiagnosticIds.SyntaxError] = Body(DiagnosticIds.SyntaxError, "PL/Proxy syntax error"),
        [DiagnosticIds.DuplicateStatement] = Body(DiagnosticIds.DuplicateStatement, "Statement given twice"),
        [DiagnosticIds.Unterminated] = Body(DiagnosticIds.Unterminated, "Unterminated string, identifier or comment"),
        [DiagnosticIds.ExpressionTooDeep] = Body(DiagnosticIds.ExpressionTooDeep, "Expression nested too deeply"),
        [DiagnosticIds.ClusterMissing] = Body(DiagnosticIds.ClusterMissing, "CLUSTER statement missing"),
        [DiagnosticIds.ConnectWithClusterOrRun] = Body(DiagnosticIds.ConnectWithClusterOrRun, "CONNECT with CLUSTER or RUN"),
        [DiagnosticIds.TargetWithSelect] = Body(DiagnosticIds.TargetWithSelect, "TARGET with SELECT"),
        [DiagnosticIds.InvalidArgumentReference] = Body(DiagnosticIds.InvalidArgumentReference, "Invalid argument reference"),
        [DiagnosticIds.RunOnAllRequiresSet] = Body(DiagnosticIds.RunOnAllRequiresSet, "RUN ON ALL requires a set-returning method"),
        [DiagnosticIds.SplitNotArray] = Body(DiagnosticIds.SplitNotArray, "SPLIT of a non-array"),
        [DiagnosticIds.SplitDuplicate] = Body(DiagnosticIds.SplitDuplicate, "SPLIT argument given twice"),
        [DiagnosticIds.UnknownFunction] = Body(DiagnosticIds.UnknownFunction, "Unknown function"),
        [DiagnosticIds.UnsupportedExpression] = Body(DiagnosticIds.UnsupportedExpression, "Unsupported expression"),
        [DiagnosticIds.HashTypeInvalid] = Body(DiagnosticIds.HashTypeInvalid, "Hash is not an integer"),
        [DiagnosticIds.StatementAtBothLevels] = Body(DiagnosticIds.StatementAtBothLevels, "Statement on interface and method"),
        [DiagnosticIds.ArgumentTypeMismatch] = Body(DiagnosticIds.ArgumentTypeMismatch, "Argument types do not match"),
        [DiagnosticIds.SetHashRequiresSet] = Body(DiagnosticIds.SetHashRequiresSet, "Set of hashes for a single-row method"),
        [DiagnosticIds.NameTypeInvalid] = Body(DiagnosticIds.NameTypeInvalid, "Cluster or connection function not returning text"),
    };

    private static readonly Dictionary<string, DiagnosticDescriptor> ShapeDescriptors = new()
    {
        [MisplacedAttributeId] = MisplacedAttribute,
        [MethodWithoutBodyId] = MethodWithoutBody,
        [UnsupportedParameterId] = UnsupportedParameter,
        [UnsupportedReturnTypeId] = UnsupportedReturnType,
        [GenericNotSupportedId] = GenericNotSupported,
        [NonMethodMemberId] = NonMethodMember,
        [UnsupportedFunctionId] = UnsupportedFunction,
        [NoImplementationId] = NoImplementation,
        [UnorderableMergeId] = UnorderableMerge,
        [UnreachableInterfaceId] = UnreachableInterface,
        [NonProxyBaseId] = NonProxyBase,
        [InternalErrorId] = InternalError,
    };

    /// <summary>The descriptor of <paramref name="id"/>.</summary>
    public static DiagnosticDescriptor For(string id) =>
        ShapeDescriptors.TryGetValue(id, out DiagnosticDescriptor? shape) ? shape
        : BodyDescriptors.TryGetValue(id, out DiagnosticDescriptor? body) ? body
        : InternalError;

    /// <summary>Every descriptor (for tests that check each is documented).</summary>
    public static IEnumerable<DiagnosticDescriptor> All => ShapeDescriptors.Values.Concat(BodyDescriptors.Values);

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + id + ".md");

    // Body diagnostics: the message is the language's, e.g. "Compile error at line 2: invalid argument reference: $3".
    private static DiagnosticDescriptor Body(string id, string title) =>
        new(id, title, "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + id + ".md");
}
