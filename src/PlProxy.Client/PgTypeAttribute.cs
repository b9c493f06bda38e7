namespace PlProxy.Client;

/// <summary>
/// The PostgreSQL type a parameter is sent as, overriding the type mapped from its .NET type (e.g. <c>varchar</c>);
/// on a scalar result (<c>[return: PgType("timestamp")]</c>), the type the remote result is read as.
/// </summary>
/// <param name="typeName">The PostgreSQL type name.</param>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false, Inherited = false)]
public sealed class PgTypeAttribute(string typeName) : Attribute
{
    /// <summary>The PostgreSQL type name.</summary>
    public string TypeName { get; } = typeName;
}
