namespace PlProxy.Client.Language;

/// <summary>Compares statements by identity: the same text may stand in the interface body and in the method's.</summary>
internal sealed class ReferenceComparer : IEqualityComparer<StatementSyntax>
{
    public static readonly ReferenceComparer Instance = new();

    public bool Equals(StatementSyntax? x, StatementSyntax? y) => ReferenceEquals(x, y);

    public int GetHashCode(StatementSyntax obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
}
